"""The token cache added after ``make load`` must not change results, leak mutations, or grow without bound."""

from __future__ import annotations

from chizai.text.tokenizer import TOKEN_CACHE_MAX_CHARS, TOKEN_CACHE_SIZE, JapaneseTokenizer

TEXT = "中小企業の特許出願では、審査請求料と特許料が軽減される制度があります。"


def test_cached_tokens_equal_fresh_tokens_and_are_fresh_lists():
    tok = JapaneseTokenizer()
    first = tok.tokens(TEXT)
    assert first == tok._tokens(TEXT) and "特許" in first
    first.append("改変")  # a caller changing its list must not change the next caller's
    second = tok.tokens(TEXT)
    assert "改変" not in second and second == tok._tokens(TEXT)
    assert tok._cached.cache_info().hits >= 1


def test_cache_is_bounded_and_skips_long_texts():
    tok = JapaneseTokenizer()
    for i in range(TOKEN_CACHE_SIZE + 50):
        tok.tokens(f"商標{i}の登録")
    assert tok._cached.cache_info().currsize == TOKEN_CACHE_SIZE
    long_text = "営業秘密の管理。" * (TOKEN_CACHE_MAX_CHARS // 8 + 1)
    before = tok._cached.cache_info()
    tokens = tok.tokens(long_text)
    assert "営業秘密" in tokens
    after = tok._cached.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)  # not looked up, not stored
