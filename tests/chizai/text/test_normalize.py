"""The one normaliser: NFKC without format characters, whatever the input."""

from __future__ import annotations

import random
import unicodedata

from chizai.text.normalize import format_characters, nfkc


def _reference(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def test_the_format_class_holds_every_format_character_of_this_unicode_version():
    everything = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"}
    assert {ch for ch in everything if format_characters().fullmatch(ch)} == everything
    assert not format_characters().search("営業秘密ＡＢＣabc123　・…")


def test_nfkc_matches_the_character_by_character_definition():
    rng = random.Random(7)
    pool = "営業秘密ｶﾀｶﾅＡＢＣ①⑴㍻⼈\u200b\u200d\ufeff\u2060\u00ad\U000e0041 \u3000。、"
    for _ in range(500):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))
        assert nfkc(text) == _reference(text)
    assert nfkc("営\u200b業\ufeff秘密") == "営業秘密"
