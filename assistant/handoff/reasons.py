"""Why a person takes over (a reason) and the topic categories, as the window ranking and the sheet use them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Reason:
    code: str
    label_ja: str
    urgency: str
    handles: tuple[str, ...]
    prefer_windows: tuple[str, ...]
    topics: tuple[str, ...]
    patterns: list[re.Pattern[str]] = field(default_factory=list)


@dataclass
class Category:
    id: str
    label_ja: str
    prefer_windows: tuple[str, ...]
