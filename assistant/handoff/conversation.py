"""The conversation as the handoff side reads it: who wrote each message, and whether a person has the case."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ALREADY_HANDED_OFF = "already-handed-off"
# A case is with a person once a message says so: an advisor wrote, or the handoff was sent/accepted.
HUMAN_ROLES = frozenset({"advisor", "staff", "operator", "human", "consultant", "human_agent"})
ACTIVE_STATUSES = frozenset({"sent", "accepted", "assigned", "open", "in_progress", "in-progress", "pending"})
CLOSED_STATUSES = frozenset({"closed", "resolved", "done", "returned", "cancelled", "canceled", "declined"})




def message_text(message: Mapping[str, Any] | str) -> str:
    if isinstance(message, str):
        return message
    value = message.get("content", message.get("text", ""))
    return value if isinstance(value, str) else ""


def message_role(message: Mapping[str, Any] | str) -> str:
    return "user" if isinstance(message, str) else str(message.get("role", "user"))



def is_followup_of_handoff(history: Sequence[Mapping[str, Any]] = ()) -> bool:
    """True when a person already has the case, so the bot must not answer again.

    Recognised markers (the latest one wins): a message whose role is a person (advisor, staff, operator …); a
    ``handoff_status``/``handoff.status`` of sent/accepted/assigned/open (closed/resolved/declined ends it);
    ``handoff: True`` or ``handoff: {"sent": True}``. A mere recommendation is not a handoff: the user may
    decline it.
    """
    with_person = False
    for msg in history or ():
        if isinstance(msg, str):
            continue
        if message_role(msg) in HUMAN_ROLES:
            with_person = True
            continue
        marker = msg.get("handoff")
        status = msg.get("handoff_status")
        if status is None and isinstance(marker, Mapping):
            status = marker.get("status")
        if status is not None:
            status = str(status).lower()
            if status in ACTIVE_STATUSES:
                with_person = True
            elif status in CLOSED_STATUSES:
                with_person = False
            continue
        sent = isinstance(marker, Mapping) and bool(marker.get("sent") or marker.get("accepted"))
        if marker is True or msg.get("handoff_sent") is True or sent:
            with_person = True
    return with_person
