"""Deadlines in what users write, as dates relative to today: 来週の月曜, 3日後, 今月末, 12月10日, 明日まで, by Friday.

A time limit is what turns a general question into one a person should see soon, and users state it in relative
terms. Every expression found becomes a concrete date (Japan time) with the phrase it came from, so the decision can
say 「12月10日（あと8日）」 and an advisor can sort by it. Whether a date is a *deadline* is decided by the caller
(a cue such as まで/期限/展示会 in the same sentence, see ``rules.yaml``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from chizai.text.normalize import nfkc

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS_EN = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@dataclass(frozen=True)
class FoundDate:
    when: date
    phrase: str
    start: int
    end: int

    def days_from(self, today: date) -> int:
        return (self.when - today).days


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_weekday(today: date, weekday: int, weeks_ahead: int = 0) -> date:
    """The weekday in the current week (weeks_ahead=0, not before today) or a later week (Monday-based weeks)."""
    monday = today - timedelta(days=today.weekday())
    target = monday + timedelta(days=weekday, weeks=weeks_ahead)
    return target if weeks_ahead or target >= today else target + timedelta(weeks=1)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else sum(_KANJI_DIGITS.get(ch, 0) for ch in text) or 1


def _absolute(today: date, year: int | None, month: int, day: int) -> date | None:
    """12月10日 without a year: this year, or next year when that date is more than half a year past."""
    try:
        found = date(year or today.year, month, day)
    except ValueError:
        return None
    if year is None and (today - found).days > 183:
        found = date(found.year + 1, month, day) if not (month == 2 and day == 29) else found
    return found


_N = r"(\d{1,3}|[一二三四五六七八九十]{1,3})"
Rule = tuple[re.Pattern[str], Callable[[re.Match[str], date], date | None]]

_RULES: list[Rule] = [
    (re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日"),
     lambda m, t: _absolute(t, int(m.group(1)) if m.group(1) else None, int(m.group(2)), int(m.group(3)))),
    (re.compile(r"(?<![\d/])(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?![\d/])"),
     lambda m, t: _absolute(t, int(m.group(1)), int(m.group(2)), int(m.group(3)))),
    (re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])"),
     lambda m, t: _absolute(t, None, int(m.group(1)), int(m.group(2)))),
    (re.compile(r"今日|本日|きょう|today|tonight"), lambda m, t: t),
    (re.compile(r"明日|あした|あす|tomorrow"), lambda m, t: t + timedelta(days=1)),
    (re.compile(r"明後日|あさって|day after tomorrow"), lambda m, t: t + timedelta(days=2)),
    (re.compile(_N + r"日(?:後|以内|のうち|以内に|中に)"), lambda m, t: t + timedelta(days=_number(m.group(1)))),
    (re.compile(_N + r"週間(?:後|以内|のうち)"), lambda m, t: t + timedelta(weeks=_number(m.group(1)))),
    (re.compile(_N + r"(?:か|ヶ|カ|ケ|箇)月(?:後|以内|のうち)"), lambda m, t: _add_months(t, _number(m.group(1)))),
    (re.compile(r"再来週の?([月火水木金土日])曜"), lambda m, t: _next_weekday(t, WEEKDAYS_JA.index(m.group(1)), 2)),
    (re.compile(r"来週の?([月火水木金土日])曜"), lambda m, t: _next_weekday(t, WEEKDAYS_JA.index(m.group(1)), 1)),
    (re.compile(r"今週の?([月火水木金土日])曜|(?<![来今])([月火水木金土日])曜(?:日)?(?:まで|中)"),
     lambda m, t: _next_weekday(t, WEEKDAYS_JA.index(m.group(1) or m.group(2)))),
    (re.compile(r"今週(?:中|いっぱい|末)"), lambda m, t: _next_weekday(t, 6)),
    (re.compile(r"週明け"), lambda m, t: _next_weekday(t, 0, 1)),
    (re.compile(r"再来週"), lambda m, t: _next_weekday(t, 4, 2)),
    (re.compile(r"来週(?:中|いっぱい|末)?"), lambda m, t: _next_weekday(t, 4, 1)),
    (re.compile(r"今月(?:末|中|いっぱい)|月末|end of (?:the|this) month"), lambda m, t: _month_end(t.year, t.month)),
    (re.compile(r"来月(?:末|中|いっぱい)?|next month"),
     lambda m, t: _month_end(*((t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)))),
    (re.compile(r"年内|年末|今年中|by the end of the year"), lambda m, t: date(t.year, 12, 31)),
    (re.compile(r"年度末|今年度中"), lambda m, t: date(t.year + (t.month > 3), 3, 31)),
    (re.compile(r"\b(?:in|within) (\d{1,3}) days?\b"), lambda m, t: t + timedelta(days=int(m.group(1)))),
    (re.compile(r"\b(?:in|within) (\d{1,2}) weeks?\b"), lambda m, t: t + timedelta(weeks=int(m.group(1)))),
    (re.compile(r"\bnext (" + "|".join(WEEKDAYS_EN) + r")\b"),
     lambda m, t: _next_weekday(t, WEEKDAYS_EN.index(m.group(1)), 1)),
    (re.compile(r"\b(?:by|on|until|this) (" + "|".join(WEEKDAYS_EN) + r")\b"),
     lambda m, t: _next_weekday(t, WEEKDAYS_EN.index(m.group(1)))),
    (re.compile(r"\bnext week\b"), lambda m, t: _next_weekday(t, 4, 1)),
    (re.compile(r"\b(" + "|".join(MONTHS_EN) + r")[a-z]*\.? (\d{1,2})(?:st|nd|rd|th)?\b"),
     lambda m, t: _absolute(t, None, MONTHS_EN.index(m.group(1)) + 1, int(m.group(2)))),
]


def find_dates(text: str, today: date) -> list[FoundDate]:
    """Every date expression in ``text`` (NFKC, lower case), longest match first where they overlap."""
    norm = nfkc(text).lower()
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for pattern, resolve in _RULES:
        for m in pattern.finditer(norm):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            when = resolve(m, today)
            if when is not None:
                found.append(FoundDate(when, m.group(0), m.start(), m.end()))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)
