"""The queue as CSV for Excel: the words advisors read (分野 and 窓口 names, not ids), notes, and contact details.

Why this shape: advisors open the file in Excel on Japanese Windows, so it is UTF-8 with a BOM and CRLF; a cell that
Excel would run as a formula (= + - @) is prefixed with ``'``; the ticket database stores ids, so the caller (the UI,
which knows the windows directory) passes the labels in. Contact details exist only for tickets whose user consented,
and get one column per field so they can be sorted and filtered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.tickets.models import CONTACT_LABELS, Ticket, TicketNote, jst

CSV_COLUMNS = (
    "受付番号",
    "受付日時（日本時間）",
    "更新日時（日本時間）",
    "状態",
    "緊急度",
    "分野",
    "都道府県",
    "窓口",
    "相談内容",
    "担当者",
    "メモ",
    "本人同意",
)
OTHER_CONTACT = "その他の連絡先"


@dataclass(frozen=True)
class CsvLabels:
    """Display names for the ids a ticket stores; an id without a name is written as it is."""

    categories: Mapping[str, str] = field(default_factory=dict)
    windows: Mapping[str, str] = field(default_factory=dict)
    advisors: Mapping[str, str] = field(default_factory=dict)


def tickets_csv(
    tickets: Sequence[Ticket],
    notes: Mapping[int, Sequence[TicketNote]],
    labels: CsvLabels,
    *,
    include_contact: bool,
) -> str:
    """The CSV text (with BOM) of ``tickets``; ``notes`` by ticket id, oldest first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    contact_columns = [*CONTACT_LABELS, OTHER_CONTACT] if include_contact else []
    writer.writerow([*CSV_COLUMNS, *contact_columns])
    for t in tickets:
        row = [
            t.public_no,
            jst(t.created_at),
            jst(t.updated_at),
            t.status_label,
            t.urgency_label,
            labels.categories.get(t.category or "", t.category or ""),
            t.prefecture or "",
            "、".join(labels.windows.get(w, w) for w in t.windows or []),
            t.question,
            labels.advisors.get(t.assignee or "", t.assignee or ""),
            "\n".join(_note_line(n, labels) for n in notes.get(t.id, ())),
            "あり" if t.consent else "なし",
        ]
        if include_contact:
            row += _contact_cells(t.contact or {})
        writer.writerow([_csv_safe(v) for v in row])
    return "\ufeff" + buf.getvalue()


def _note_line(note: TicketNote, labels: CsvLabels) -> str:
    return f"{jst(note.created_at)} {labels.advisors.get(note.author, note.author)}: {' '.join(note.body.split())}"


def _contact_cells(contact: Mapping[str, Any]) -> list[str]:
    known = [str(contact.get(label) or "") for label in CONTACT_LABELS]
    other = "; ".join(f"{k}: {v}" for k, v in contact.items() if k not in CONTACT_LABELS)
    return [*known, other]


def _csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
