"""A handoff starts from the incident, not from the last follow-up typed before asking for a person."""

from __future__ import annotations

from assistant.ui.handoff_source import find_source, trigger


def turn(i: int, question: str, urgency: str | None = None, **kw: object) -> list[dict]:
    handoff = {"recommended": urgency is not None, "urgency": urgency}
    return [
        {"id": f"u{i}", "role": "user", "content": question},
        {"id": f"a{i}", "role": "assistant", "content": f"回答{i}", "handoff": handoff, "language": "ja", **kw},
    ]


def test_the_most_urgent_recommendation_wins_then_the_earliest() -> None:
    letter = turn(1, "警告書が届きました", "high")
    follow_up = turn(2, "それって弁護士に頼むといくらかかりますか", "low")
    assert trigger([*letter, *follow_up])["id"] == "a1"
    assert trigger([*turn(1, "a", "medium"), *turn(2, "b", "medium")])["id"] == "a1"  # the case, not its follow-up
    assert trigger([*turn(1, "商標とは"), *turn(2, "意匠とは")])["id"] == "a2"  # no recommendation: the latest
    errored = {"id": "e", "role": "assistant", "content": "エラー", "error": True}
    assert trigger([*turn(1, "商標とは"), {"id": "u2", "role": "user", "content": "x"}, errored])["id"] == "a1"
    assert trigger([]) is None


def test_the_source_has_the_question_its_background_and_the_whole_conversation() -> None:
    messages = [*turn(0, "特許とは"), *turn(1, "警告書が\n届きました", "high"), *turn(2, "費用は？", "low")]
    source = find_source(messages)
    assert source.id == "a1" and source.question == "警告書が\n届きました"
    assert source.earlier == ["特許とは"]
    assert [m["content"] for m in source.conversation][-2:] == ["費用は？", "回答2"]  # follow-ups go with it
    assert find_source([]).id == "blank"
