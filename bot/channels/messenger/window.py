"""Messenger's 24-hour standard messaging window, checked before every send.

The window opens with the person's last action (message, postback, quick-reply or menu tap,
`ref` link), which the pipeline stores in `Contact.last_inbound_at`. Outside it:
- a promotional message is never sent (tags may not carry promotions);
- a message tagged `CONFIRMED_EVENT_UPDATE`, `POST_PURCHASE_UPDATE` or `ACCOUNT_UPDATE` may go;
- `HUMAN_AGENT` / `CUSTOMER_FEEDBACK` may go for 7 days after the last action;
- an approved utility template (`messaging_type: UTILITY`, `utility.py`) may go;
- anything else is refused with a reason the outbox records as a skipped send.
Graph enforces the same rules; checking first saves a doomed call and names the reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

STANDARD_WINDOW = timedelta(hours=24)
SEVEN_DAYS = timedelta(days=7)
ANY_TIME_TAGS = frozenset({"CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"})
SEVEN_DAY_TAGS = frozenset({"HUMAN_AGENT", "CUSTOMER_FEEDBACK"})


def window_refusal(
    payload: dict[str, Any],
    *,
    promotional: bool,
    last_inbound_at: datetime | None,
    now: datetime,
) -> str | None:
    """None when this Send API body may go out now; otherwise why it must not."""
    age = None if last_inbound_at is None else now - last_inbound_at
    if age is not None and age <= STANDARD_WINDOW:
        return None
    since = "never wrote to the Page" if age is None else f"last action {_hours(age)} ago"
    if promotional:
        return f"outside the 24-hour window ({since}): promotional messages are never sent"
    if payload.get("messaging_type") == "UTILITY":
        return None  # an approved utility template: the one update allowed after 24 h
    if "sender_action" in payload:
        return f"outside the 24-hour window ({since}): sender action dropped"
    tag = payload.get("tag") if payload.get("messaging_type") == "MESSAGE_TAG" else None
    if tag in ANY_TIME_TAGS:
        return None
    if tag in SEVEN_DAY_TAGS:
        if age is not None and age <= SEVEN_DAYS:
            return None
        return f"outside the 7-day {tag} window ({since})"
    return (
        f"outside the 24-hour window ({since}) and the message has no allowed tag "
        "(channel_data messenger.tag, e.g. POST_PURCHASE_UPDATE)"
    )


def _hours(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 72 else f"{hours / 24:.0f} days"
