"""Character bigrams for the second keyword leg: no tokenizer, so names, numbers, katakana loan words and words
Sudachi splits badly still match (「J-PlatPat」, 「2分の1」, 「マドプロ」)."""

from __future__ import annotations

from chizai.text.normalize import nfkc


def bigrams(text: str) -> list[str]:
    """Overlapping pairs of letters/digits of the NFKC, lower-cased text with white space removed.

    Punctuation ends a run: a pair never spans 「。」 or 「、」, so sentences do not leak into each other.
    """
    out: list[str] = []
    run: list[str] = []
    for ch in nfkc(text).lower():
        if ch.isspace():
            continue
        if ch.isalnum():
            run.append(ch)
            continue
        out += [run[i] + run[i + 1] for i in range(len(run) - 1)]
        run = []
    out += [run[i] + run[i + 1] for i in range(len(run) - 1)]
    return out
