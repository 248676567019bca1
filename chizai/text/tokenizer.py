"""Sudachi tokens for the keyword (BM25) leg.

A whitespace tokenizer treats a Japanese sentence as one token, so keyword search would silently match nothing;
we index Sudachi's normalised forms of content words plus joined noun compounds (営業秘密, 外国出願補助金).
"""

from __future__ import annotations

import sys
import threading
import unicodedata
from functools import lru_cache

_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "接頭辞", "接尾辞"}
_STOP = {
    "為る", "有る", "居る", "成る", "言う", "出来る", "事", "物", "所", "為", "様", "方", "here", "the", "a", "an",
    "of", "to", "and", "or", "in", "is", "for", "on", "be", "it", "what", "how", "do", "can", "i", "my", "we",
    "性", "的", "等", "さん", "ます", "ない", "いる", "ある", "する", "なる", "こと", "もの", "よう", "ため", "です",
}


# Answering tokenizes the same corpus passages again and again (retrieval, support, extractive selection and the
# citation check of every sentence against every passage: ~100 Sudachi calls per answer). Profiling ``make load``
# put about a third of the script threads' samples there. A bounded cache of short texts removes nearly all of
# them; tokens are interned, so an entry costs a key and a tuple of pointers (a few MB in all), and longer texts
# (whole documents at ingest) are never kept.
TOKEN_CACHE_SIZE = 2048
TOKEN_CACHE_MAX_CHARS = 2000


class JapaneseTokenizer:
    def __init__(self) -> None:
        from sudachipy import Dictionary, SplitMode

        self._dict = Dictionary(dict="core")
        self._mode = SplitMode.A
        self._local = threading.local()  # Sudachi tokenizers are not thread-safe
        self._cached = lru_cache(maxsize=TOKEN_CACHE_SIZE)(self._interned_tokens)

    def _tokenizer(self):  # noqa: ANN202 - sudachipy type
        tok = getattr(self._local, "tok", None)
        if tok is None:
            tok = self._local.tok = self._dict.tokenizer(mode=self._mode)
        return tok

    def tokens(self, text: str) -> list[str]:
        """Content-word forms and joined noun compounds of ``text`` (a new list: callers may change it)."""
        if len(text) <= TOKEN_CACHE_MAX_CHARS:
            return list(self._cached(text))
        return self._tokens(text)

    def _interned_tokens(self, text: str) -> tuple[str, ...]:
        return tuple(sys.intern(t) for t in self._tokens(text))

    def _tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower()
        out: list[str] = []
        compound: list[str] = []

        def flush() -> None:
            if len(compound) > 1:
                out.append("".join(compound))
            compound.clear()

        # Sudachi refuses inputs above ~49k bytes; keyword tokens do not need more context than a chunk.
        for start in range(0, len(text), 8000):
            for m in self._tokenizer().tokenize(text[start : start + 8000]):
                pos = m.part_of_speech()[0]
                surface = m.surface()
                form = surface.lower() if surface.isascii() else m.normalized_form().lower()
                if pos == "名詞" or pos == "接頭辞" or (pos == "接尾辞" and compound):
                    compound.append(m.surface())
                else:
                    flush()
                if pos in _CONTENT_POS and form not in _STOP and form.strip() and not _is_punct(form):
                    out.append(form)
            flush()
        return out


def _is_punct(token: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)


@lru_cache(maxsize=1)
def get_tokenizer() -> JapaneseTokenizer:
    return JapaneseTokenizer()
