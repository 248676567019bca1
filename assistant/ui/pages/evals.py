"""評価 (advisors): the latest evaluation report written by ``make eval``, or how to produce one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import streamlit as st

from assistant.tickets.models import JST
from assistant.ui import navigation
from assistant.ui.safe_text import escape_label, safe_markdown
from chizai.settings import REPO_ROOT

REPORTS_DIR = REPO_ROOT / "evals" / "reports"
HOW_TO_JA = """\
評価レポートはまだありません。リポジトリのフォルダで次を実行すると作成されます:

```
make eval
```

`make eval` は `python -m evals run-all --report evals/reports/latest` を実行し、`evals/gold/` の質問集
（基本・敵対的・実文書）でチャットと同じ Python API を動かして、検索の的中率・出典の正しさ・引き継ぎ判定などを
`evals/reports/latest/report.md` にまとめます。作成後にこのページを開き直すと表示されます。
"""


def latest_report(reports_dir: Path = REPORTS_DIR) -> Path | None:
    """``latest/report.md`` if present, else the newest ``report.md`` anywhere under ``evals/reports``."""
    preferred = reports_dir / "latest" / "report.md"
    if preferred.is_file():
        return preferred
    found = [p for p in reports_dir.glob("**/report.md") if p.is_file()] if reports_dir.is_dir() else []
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def render() -> None:
    navigation.require_advisor()
    st.title("評価")
    report = latest_report()
    if report is None:
        st.info("評価レポートが見つかりません。", icon=":material/info:")
        st.markdown(HOW_TO_JA)
        return
    stamp = datetime.fromtimestamp(report.stat().st_mtime, JST).strftime("%Y-%m-%d %H:%M")
    rel = report.relative_to(REPO_ROOT) if report.is_relative_to(REPO_ROOT) else report
    st.caption(f"{escape_label(str(rel))}（{stamp} 作成）・ 再作成は `make eval`")
    text = report.read_text(encoding="utf-8", errors="replace")
    st.download_button(
        "レポートをダウンロード",
        text.encode("utf-8"),
        file_name="report.md",
        mime="text/markdown",
        key="eval_download",
        on_click="ignore",
    )
    st.markdown(safe_markdown(text))


if __name__ == "__main__":
    render()
