"""Dates relative to today, as users write them, become concrete Japanese dates."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.handoff.dates import find_dates

WEDNESDAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("来週の月曜までに回答しろとのこと", date(2026, 12, 7)),
        ("3日後に展示会があります", date(2026, 12, 5)),
        ("三日以内に返事が必要", date(2026, 12, 5)),
        ("今月末が提出期限", date(2026, 12, 31)),
        ("12月10日までに", date(2026, 12, 10)),
        ("１２月１０日まで", date(2026, 12, 10)),  # full-width digits
        ("明日までに返事をください", date(2026, 12, 3)),
        ("あさって締め切り", date(2026, 12, 4)),
        ("週明けに打ち合わせ", date(2026, 12, 7)),
        ("年内に出願したい", date(2026, 12, 31)),
        ("再来週の金曜が期限", date(2026, 12, 18)),
        ("2週間以内に回答せよ", date(2026, 12, 16)),
        ("金曜までに", date(2026, 12, 4)),
        ("1月15日締切", date(2027, 1, 15)),  # a past month-day means next year
        ("2027年3月31日まで", date(2027, 3, 31)),
        ("12/10まで", date(2026, 12, 10)),
        ("reply by Friday", date(2026, 12, 4)),
        ("next Monday is the deadline", date(2026, 12, 7)),
        ("within 10 days", date(2026, 12, 12)),
        ("due Dec 10", date(2026, 12, 10)),
    ],
)
def test_relative_and_absolute_dates(text: str, expected: date) -> None:
    assert [f.when for f in find_dates(text, WEDNESDAY)] == [expected]


def test_recently_past_date_stays_in_this_year() -> None:
    (found,) = find_dates("11月20日が期限でした", WEDNESDAY)
    assert found.when == date(2026, 11, 20) and found.days_from(WEDNESDAY) == -12


def test_no_dates_in_ordinary_text() -> None:
    assert find_dates("営業秘密の三要件を教えてください。一緒に考えましょう", WEDNESDAY) == []


def test_impossible_dates_are_ignored() -> None:
    assert find_dates("2月30日まで", WEDNESDAY) == []
