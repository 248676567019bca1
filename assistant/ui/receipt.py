"""The receipt a user reads after sending a consultation: the 受付番号, which window takes the case, how and when
they will hear from it, or, without contact details, that nobody can call them and they should keep the number.

The window in charge is the best-ranked one; the others the ticket was routed to can read it too, and the receipt
says so rather than implying five calls. The time to first contact is measured from this desk's own track record
(:mod:`assistant.tickets.stats`) and left out when there is too little of it: nothing here promises what no one
has measured.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import streamlit as st

from assistant.tickets.stats import first_response
from assistant.ui import resources
from assistant.ui.contact import EMAIL, PHONE, WHEN
from assistant.ui.labels import t
from assistant.ui.safe_text import escape_label, link, safe_url


def duration(value: timedelta, lang: str) -> str:
    """「約3時間」「2日」: a measured wait in words, rounded the way people say it."""
    hours = value.total_seconds() / 3600
    if hours <= 1:
        return t("within_hour", lang)
    if hours < 48:
        return t("hours", lang, n=round(hours))
    return t("days", lang, n=round(hours / 24))


def contact_lines(contact: dict[str, str], lang: str) -> list[str]:
    """How the window will reach the user, from what they consented to give."""
    methods = [t("by_phone", lang, value=contact[PHONE])] if contact.get(PHONE) else []
    methods += [t("by_email", lang, value=contact[EMAIL])] if contact.get(EMAIL) else []
    lines = [t("how", lang, methods=f" {t('or', lang)} ".join(escape_label(m) for m in methods))]
    if contact.get(WHEN):
        lines.append(t("when_pref", lang, value=escape_label(contact[WHEN])))
    return lines


def window_contact(window: Any, lang: str) -> str | None:
    """The window's own phone and page, for a user who has to make the first move."""
    parts = [escape_label(window.phone)] if window.phone else []
    if safe_url(window.url):
        parts.append(link(window.name, window.url))
    return t("window_contact", lang, value=" ／ ".join(parts)) if parts else None


def receipt_lines(result: dict[str, Any], lang: str) -> list[str]:
    windows = resources.windows_by_id()
    ids = [w for w in result.get("windows") or [] if w]
    primary = windows.get(ids[0]) if ids else None
    lines: list[str] = []
    if ids:
        also = t("also", lang, n=len(ids) - 1) if len(ids) > 1 else ""
        lines.append(t("who", lang, window=escape_label(resources.window_name(ids[0]))) + also)
    contact = result.get("contact") or {}
    if contact.get(PHONE) or contact.get(EMAIL):
        lines += contact_lines(contact, lang)
        measured = first_response(resources.store(), ids[0]) if ids else None
        if measured is None:
            lines.append(t("typical_unknown", lang))
        else:
            time = duration(measured.median, lang)
            lines.append(t("typical", lang, time=time, days=measured.days, n=measured.samples))
    else:
        lines.append(t("no_contact", lang))
        if primary is not None and (how := window_contact(primary, lang)):
            lines.append(how)
    return lines


def show(result: dict[str, Any], lang: str) -> None:
    """The receipt, in a container keyed ``receipt`` so the view can be brought to it."""
    with st.container(border=True, key="receipt"):
        st.success(f"**{t('received', lang)}**", icon=":material/check_circle:")
        st.markdown(f"{t('number', lang)}\n\n## {result['public_no']}")  # our own C-YYYY-XXXXXXXX: nothing to escape
        st.caption(t("keep_number", lang))
        st.markdown("\n".join(f"- {line}" for line in receipt_lines(result, lang)))
