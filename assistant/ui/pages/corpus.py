"""コーパス (advisors): what the index serves, what could not be indexed and why, and a re-ingest
button.

Reads the catalog (documents, chunk counts, page problems, the last run's failures); the re-ingest
runs :class:`ingest.pipeline.Ingestor` in this process, one run at a time, and reports progress with
``st.progress``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import streamlit as st

from assistant.tickets.models import JST
from assistant.ui import navigation, resources
from assistant.ui.safe_text import escape_label
from chizai.index.catalog_base import IndexMismatchError
from chizai.index.catalogs import open_catalog
from chizai.index.embedders import EmbedderError
from chizai.index.vector_store import VectorStoreUnavailable
from ingest.pipeline import Ingestor, IngestReport, default_paths

log = logging.getLogger(__name__)
REPORT = "corpus_last_report"


def when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, JST).strftime("%Y-%m-%d %H:%M") if ts else ""


def read_catalog() -> dict[str, Any] | None:
    try:
        catalog = open_catalog(resources.settings(), readonly=True)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - PostgreSQL unreachable: the page says there is nothing to show
        log.warning("catalog unavailable: %s", type(exc).__name__)
        return None
    try:
        return {
            "counts": catalog.counts(),
            "documents": catalog.documents(),
            "problems": catalog.problems(),
            "last_run": catalog.last_run(),
        }
    except Exception as exc:  # noqa: BLE001 - sqlite3 or psycopg errors alike
        log.warning("catalog unreadable: %s", type(exc).__name__)
        return None
    finally:
        catalog.close()


def overview(data: dict[str, Any]) -> None:
    last = data["last_run"] or {}
    c = st.columns(4)
    c[0].metric("文書", data["counts"]["documents"])
    c[1].metric("チャンク", data["counts"]["chunks"])
    c[2].metric("索引できなかったページ", len(data["problems"]))
    c[3].metric("前回失敗したファイル", len(last.get("failures") or []))
    if last:
        st.caption(
            f"前回の取り込み: {when(last.get('finished_at'))}（ファイル {last.get('files', 0)}・新規/更新 "
            f"{last.get('ingested', 0)}・変更なし {last.get('unchanged', 0)}・失敗 {last.get('failed', 0)}・"
            f"スキップ {last.get('skipped', 0)}・{last.get('seconds', 0)}秒）"
        )


def failures(data: dict[str, Any]) -> None:
    failed = (data["last_run"] or {}).get("failures") or []
    problems = data["problems"]
    st.subheader("取り込めなかったもの")
    if not failed and not problems:
        st.success("前回の取り込みで失敗したファイル・ページはありません。")
        return
    if failed:
        st.markdown("**ファイル単位の失敗**")
        st.dataframe([{"ファイル": f["source"], "理由": f["reason"]} for f in failed], hide_index=True)
    if problems:
        st.markdown("**索引しなかったページ**（文字化け・画像だけのページなど）")
        st.dataframe(
            [{"ファイル": p["source"], "ページ": p["page"], "理由": p["reason"]} for p in problems],
            hide_index=True,
        )


def documents(data: dict[str, Any]) -> None:
    st.subheader("索引されている文書")
    rows = [
        {
            "タイトル": d["title"],
            "ファイル": d["source"],
            "分野": resources.category_label(d["metadata"].get("category")),
            "発行元": d["metadata"].get("publisher") or "",
            "チャンク数": d["chunk_count"],
            "ページ数": d["pages_total"],
            "未索引ページ": d["metadata"].get("problems", 0),
            "更新": when(d["updated_at"]),
        }
        for d in data["documents"]
    ]
    st.dataframe(rows, hide_index=True)


def summary_of(report: IngestReport) -> dict[str, Any]:
    return {
        "files": len(report.outcomes),
        "ingested": report.count("ingested"),
        "unchanged": report.count("unchanged"),
        "failed": report.count("failed"),
        "skipped": report.count("skipped"),
        "chunks": report.chunks,
        "pruned": len(report.pruned),
        "seconds": round(report.seconds, 1),
    }


def run_ingest(prune: bool) -> dict[str, Any]:
    bar = st.progress(0.0, text="準備中（埋め込みモデルを読み込んでいます）…")

    def progress(done: int, total: int, name: str) -> None:
        label = f"{done}/{total} {escape_label(name[-60:])}" if name else f"{done}/{total} 仕上げ中…"
        bar.progress(min(1.0, done / total) if total else 1.0, text=label)

    ingestor = Ingestor(resources.settings())
    try:
        report = ingestor.run(prune=prune, progress=progress)
    finally:
        ingestor.close()
    bar.progress(1.0, text="完了")
    return summary_of(report)


def reingest(advisor: dict[str, Any]) -> None:
    st.subheader("再取り込み")
    paths = "、".join(str(p) for p in default_paths(resources.settings()))
    st.caption(
        f"対象: {escape_label(paths)}。変更のないファイルは読み飛ばします（全件の初回は数分かかります）。"
    )
    st.checkbox("元ファイルがなくなった文書を索引から削除する", key="corpus_prune")
    if st.button("再取り込みを実行", key="corpus_reingest", icon=":material/sync:"):
        lock = resources.ingest_lock()
        if not lock.acquire(blocking=False):
            st.warning("別の取り込みを実行中です。終わってからもう一度お試しください。")
            return
        try:
            summary = run_ingest(bool(st.session_state.get("corpus_prune")))
        except (IndexMismatchError, EmbedderError, VectorStoreUnavailable) as exc:
            st.error(f"取り込めませんでした: {exc}")
            return
        finally:
            lock.release()
        resources.store().record_event(advisor["username"], "reingest", summary)
        resources.reset_assistant()
        st.session_state[REPORT] = summary
        st.rerun()
    report = st.session_state.pop(REPORT, None)
    if report:
        st.success(
            f"取り込みが終わりました: ファイル {report['files']}・新規/更新 {report['ingested']}・"
            f"変更なし {report['unchanged']}・失敗 {report['failed']}・{report['seconds']}秒"
        )


def render() -> None:
    advisor = navigation.require_advisor()
    st.title("コーパス")
    data = read_catalog()
    if data is None:
        st.warning("索引がまだありません。下のボタンで取り込むか、`python -m ingest` を実行してください。")
    else:
        overview(data)
        failures(data)
        documents(data)
    st.divider()
    reingest(advisor)


if __name__ == "__main__":
    render()
