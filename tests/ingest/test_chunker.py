from chizai.index.model import Section
from chizai.text.sentences import split_sentences
from ingest.chunker import chunk_document
from ingest.model import LoadedDocument


def _doc(text: str, **kw) -> LoadedDocument:
    return LoadedDocument(doc_id="d1", source="x.md", title="題", sections=[Section(text=text, **kw)])


def test_sentences_end_at_japanese_punctuation_and_line_ends():
    parts = [s.strip() for s in split_sentences("一文目です。二文目です！三文目？\n見出し\n四文目")]
    assert parts == ["一文目です。", "二文目です！", "三文目？", "見出し", "四文目"]


def test_chunks_respect_size_and_never_cut_a_sentence():
    sentence = "営業秘密として保護されるには秘密管理性が必要です。"
    doc = _doc(sentence * 40)
    chunks = chunk_document(doc, size=200, overlap=50)
    assert len(chunks) > 3
    for c in chunks:
        assert len(c.text) <= 200
        assert c.text.endswith("。") and c.text.startswith("営業秘密")


def test_overlap_repeats_whole_trailing_sentences():
    text = "".join(f"これは{i}番目の文です。" for i in range(30))
    chunks = chunk_document(_doc(text), size=100, overlap=30)
    first_sentences = [s + "。" for s in chunks[0].text.split("。") if s]
    second_start = chunks[1].text.split("。")[0] + "。"
    assert second_start in first_sentences[-3:]  # starts with one of the trailing sentences
    assert first_sentences[-1] in chunks[1].text
    assert sum(len(s) for s in first_sentences[first_sentences.index(second_start) :]) <= 30


def test_chunk_ids_are_deterministic_and_change_with_content():
    a = [c.chunk_id for c in chunk_document(_doc("同じ本文です。" * 20), 100, 20)]
    b = [c.chunk_id for c in chunk_document(_doc("同じ本文です。" * 20), 100, 20)]
    c = [c.chunk_id for c in chunk_document(_doc("違う本文です。" * 20), 100, 20)]
    assert a == b and a != c
    recategorised = _doc("同じ本文です。" * 20)
    recategorised.metadata = {"category": "dispute"}  # same text, other Chroma metadata: ids must not be reused
    assert not set(a) & {c.chunk_id for c in chunk_document(recategorised, 100, 20)}


def test_pdf_heading_lines_label_the_chunks_and_metadata_is_carried():
    text = "3.5. 不正競争防止法への対応\n営業秘密の三要件を満たす必要がある。"
    doc = _doc(text, page=54)
    doc.metadata = {"publisher": "経済産業省", "url": "https://www.meti.go.jp/"}
    chunk = chunk_document(doc, 400, 80)[0]
    assert chunk.section.section == "3.5. 不正競争防止法への対応"
    assert chunk.section.page == 54
    assert chunk.metadata["publisher"] == "経済産業省"


def test_overlong_sentence_is_split_at_commas():
    long = "、".join(["長い節"] * 200) + "。"
    chunks = chunk_document(_doc(long), size=120, overlap=20)
    assert all(len(c.text) <= 120 for c in chunks)
