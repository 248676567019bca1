"""The app's own CSS and its one browser script: citation chips, the phone layout, and scrolling to a new answer.

Streamlit has no API for these, so they are the only raw HTML the app sends (everything users or documents wrote
still goes through :mod:`assistant.ui.safe_text`). Both are constants; the only value put into the script is an
element key the app made itself (hex message ids), checked against :data:`_KEY`. The script elements go to the
sidebar, which is in the page on every screen size but takes no room in the conversation.

* Chips: ``a[href^="#src-"]`` links (see :mod:`assistant.ui.citations`) look like small numbered badges; a click
  finds the container keyed like the fragment, opens the expander that holds it (by clicking its summary, so
  Streamlit keeps its own state), scrolls it into view and outlines it for a moment.
* Phone (≤ 640 px): the input area loses Streamlit's large bottom padding, so it takes ~110 px instead of 186 px
  with the action row above it.
* After an answer has streamed, the view is moved to the start of that answer (Streamlit keeps it at the bottom).
"""

from __future__ import annotations

import re

import streamlit as st

_KEY = re.compile(r"[a-z0-9_-]{1,64}")

CSS = """<style>
.stMarkdown a[href^="#src-"] {
  display: inline-block; min-width: 1.5em; padding: 0 .35em; margin: 0 .1em; border-radius: .75em;
  background: rgba(28, 131, 225, .12); color: #0b5cad; font-size: .78em; line-height: 1.45;
  text-align: center; text-decoration: none; vertical-align: .12em; white-space: nowrap;
}
.stMarkdown a[href^="#src-"]:hover, .stMarkdown a[href^="#src-"]:focus { background: rgba(28, 131, 225, .28); }
[class*="st-key-src-"], [class*="st-key-msg-"], .st-key-receipt { scroll-margin-top: 4.5rem; }
.chizai-flash { outline: 2px solid rgba(28, 131, 225, .45); border-radius: .4rem; }
@media (max-width: 640px) {
  [data-testid="stBottomBlockContainer"] { padding: .5rem .75rem .75rem; }
  [data-testid="stMainBlockContainer"] { padding-left: .75rem; padding-right: .75rem; }
  [data-testid="stChatMessage"] { gap: .5rem; padding-left: 0; padding-right: 0; }
  [data-testid="stChatMessageAvatarUser"], [data-testid="stChatMessageAvatarAssistant"] {
    width: 1.6rem; height: 1.6rem; }
}
</style>"""

CHIPS_SCRIPT = """<script>
(() => {
  if (window.__chizaiChips) return;
  window.__chizaiChips = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#src-"]');
    if (!link) return;
    const key = link.getAttribute("href").slice(1);
    const target = /^src-[a-z0-9]+-[0-9]+$/.test(key) && document.querySelector(".st-key-" + key);
    if (!target) return;
    event.preventDefault();
    const details = target.closest("details");
    if (details && !details.open) details.querySelector("summary").click();
    setTimeout(() => {
      target.scrollIntoView({block: "start", behavior: "smooth"});
      target.classList.add("chizai-flash");
      setTimeout(() => target.classList.remove("chizai-flash"), 1600);
    }, 120);
  }, true);
})();
</script>"""

_SCROLL_SCRIPT = """<script>
(() => {
  const key = "%s";
  let tries = 0;
  const timer = setInterval(() => {
    const el = document.querySelector(".st-key-" + key);
    const running = document.querySelector('[data-test-script-state="running"]');
    if (el && !running) { el.scrollIntoView({block: "start"}); clearInterval(timer); }
    if (++tries > 100) clearInterval(timer);
  }, 100);
})();
</script>"""


def apply() -> None:
    """The CSS and the chip script, once per run (Streamlit deduplicates unchanged elements)."""
    st.html(CSS)
    with st.sidebar:
        st.html(CHIPS_SCRIPT, unsafe_allow_javascript=True)


def scroll_to(key: str) -> None:
    """Bring the container with ``key`` to the top of the view once the current run has finished drawing."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not an element key the app made: {key!r}")
    with st.sidebar:
        st.html(_SCROLL_SCRIPT % key, unsafe_allow_javascript=True)
