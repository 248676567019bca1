"""PDF via pypdf, page by page, with the printed page labels where the PDF defines them."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from pypdf import PdfReader

from chizai.index.model import Problem, Section
from ingest.loaders.common import doc_id_for
from ingest.model import LoadedDocument, LoadError
from ingest.normalize import normalize_text, page_quality, strip_page_furniture

logging.getLogger("pypdf").setLevel(logging.ERROR)  # font warnings are reported per page by the quality gate


def _reason(prefix: str, exc: BaseException) -> str:
    detail = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return f"{prefix}: {detail}"[:300]


def _open(path: Path) -> PdfReader:
    # pypdf raises almost any exception type on a corrupt file (KeyError, AssertionError, struct.error …): every
    # failure to parse the file structure is the same "corrupt PDF" for the user.
    try:
        reader = PdfReader(str(path), strict=False)
        encrypted = reader.is_encrypted
    except RecursionError as exc:
        raise LoadError("PDF を読めません（入れ子が深すぎます） / cannot read PDF (nested too deeply)") from exc
    except Exception as exc:  # noqa: BLE001
        raise LoadError(_reason("PDF を読めません（破損？） / cannot read PDF (corrupt?)", exc)) from exc
    if encrypted:
        try:
            ok = reader.decrypt("")
        except Exception as exc:  # noqa: BLE001 - unsupported algorithms and broken encryption dictionaries
            raise LoadError(_reason("暗号化 PDF を復号できません / cannot decrypt PDF", exc)) from exc
        if not ok:
            raise LoadError("パスワード付き PDF です / PDF is protected by an unknown password")
    return reader


def _page_labels(reader: PdfReader, count: int) -> list[str | None]:
    """Printed page labels, or none when the PDF defines none or defines them brokenly."""
    try:
        if "/PageLabels" in reader.trailer["/Root"]:
            labels = list(reader.page_labels)
            if len(labels) == count:
                return labels
    except Exception:  # noqa: BLE001 - a broken label tree only costs the labels
        pass
    return [None] * count


def load_pdf(path: Path, source: str) -> LoadedDocument:
    reader = _open(path)
    try:
        pages = reader.pages
        count = len(pages)
    except RecursionError as exc:
        raise LoadError("PDF のページを読めません（入れ子が深すぎます） / cannot read PDF pages (nested too deeply)") from exc
    except Exception as exc:  # noqa: BLE001 - see _open
        raise LoadError(_reason("PDF のページを読めません / cannot read PDF pages", exc)) from exc
    labels = _page_labels(reader, count)
    raw: list[str] = []
    problems: list[Problem] = []
    for i in range(count):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raw.append(pages[i].extract_text() or "")
        except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken content streams
            raw.append("")
            problems.append(Problem(source, f"text extraction failed: {type(exc).__name__}", page=i + 1))
    cleaned = strip_page_furniture([normalize_text(t) for t in raw])
    sections: list[Section] = []
    failed_pages = {p.page for p in problems}
    for i, text in enumerate(cleaned):
        if i + 1 in failed_pages:
            continue
        reason = page_quality(text)
        if reason:
            reason = "empty page (image only?)" if reason == "empty" else reason
            problems.append(Problem(source, reason, page=i + 1))
            continue
        sections.append(Section(text=text, page=i + 1, page_label=labels[i] if i < len(labels) else None))
    title = _title(reader, sections, path)
    return LoadedDocument(
        doc_id=doc_id_for(source),
        source=source,
        title=title,
        sections=sections,
        metadata={"doc_type": "pdf"},
        problems=problems,
        pages_total=count,
    )


def _title(reader: PdfReader, sections: list[Section], path: Path) -> str:
    try:
        meta_title = (reader.metadata or {}).get("/Title")
    except Exception:  # noqa: BLE001 - broken info dictionaries are common
        meta_title = None
    if isinstance(meta_title, str) and meta_title.strip() and not meta_title.lower().startswith(("microsoft", "untitled")):
        return normalize_text(meta_title.strip())[:120]
    for section in sections[:2]:
        for line in section.text.splitlines():
            if len(line.strip()) >= 4:
                return line.strip()[:120]
    return path.stem
