"""``rules.yaml`` compiled: reasons with their patterns, categories with their keywords."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Pattern:
    regex: re.Pattern[str]
    urgency: str | None
    topics: tuple[str, ...]


@dataclass
class Reason:
    code: str
    label_ja: str
    urgency: str
    handles: tuple[str, ...]
    prefer_windows: tuple[str, ...]
    topics: tuple[str, ...]
    patterns: list[Pattern]
    unless: list[re.Pattern[str]] = field(default_factory=list)
    hypothetical: bool = False


@dataclass
class Category:
    id: str
    label_ja: str
    keywords: list[tuple[re.Pattern[str], float, str]]
    prefer_windows: tuple[str, ...]


