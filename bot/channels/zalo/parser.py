"""Webhook JSON → a typed event → the inbox item the pipeline stores.

Never raises on a well-formed JSON object: an unknown event name, or a known one in a shape
we cannot read, becomes an :class:`UnknownEvent` that is stored and acknowledged (a 500
would make Zalo redeliver for hours and then disable the webhook).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from pydantic import ValidationError

from bot.channels.zalo.types.events import (
    BY_NAME,
    Echo,
    OAReaction,
    Receipt,
    TagChange,
    UnknownEvent,
    UserMessage,
    UserReaction,
    WebhookEvent,
)
from bot.contracts.inbox import InboxItem

log = logging.getLogger("bot.channels.zalo.parser")

DEDUPE_MAX = 191  # inbox_event.dedupe_key


def parse_event(body: dict[str, Any]) -> WebhookEvent:
    """The typed event for one webhook body."""
    name = body.get("event_name")
    name = name if isinstance(name, str) else ""
    cls = BY_NAME.get(name) or (Echo if name.startswith("oa_send_") else None)
    if cls is None:
        return _unknown(body, None)
    try:
        return cls.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]
        )
        log.warning("zalo %s event in an unexpected shape: %s", name[:64], problems)
        return _unknown(body, problems[:500])


def _unknown(body: dict[str, Any], invalid: str | None) -> UnknownEvent:
    try:
        return UnknownEvent.model_validate({**body, "invalid": invalid})
    except ValidationError:
        # Even the envelope is unreadable: keep what can be kept.
        return UnknownEvent(
            event_name=str(body.get("event_name") or "")[:64],
            timestamp=str(body.get("timestamp") or "")[:64],
            invalid=invalid or "envelope unreadable",
        )


def dedupe_key(event: WebhookEvent) -> str:
    """The platform message id where it names this very event, else a derived key.

    User messages and echoes carry their own `msg_id` (keyed with the event name, as one id
    may come with two event names). Receipts, seen marks and reactions carry the id of
    *another* message (the echo of one of our messages has the same id as its receipt), so
    their keys are derived: event name, user, ids and timestamp.
    """
    name, user = event.event_name, event.user_id
    if isinstance(event, UserMessage | Echo) and event.msg_id:
        key = f"{name}:{event.msg_id}"  # one message id may come with two event names
    elif isinstance(event, Receipt):
        key = f"{name}:{user}:{'+'.join(sorted(event.message_ids))}"
    elif isinstance(event, UserReaction | OAReaction):
        icon = event.message.react_icon or ""
        key = f"{name}:{user}:{event.msg_id}:{icon}:{event.timestamp}"
    elif isinstance(event, TagChange):
        key = f"{name}:{event.tag.name}:{event.timestamp}"
    else:
        key = f"{name}:{user}:{event.timestamp}"
    if len(key) > DEDUPE_MAX:
        key = f"h:{name[:40]}:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def to_inbox_item(event: WebhookEvent, body: dict[str, Any], account_id: str) -> InboxItem:
    """What the pipeline stores: the raw body, keyed by OA, user and dedupe key."""
    return InboxItem(
        account_id=account_id,
        user_id=event.user_id,
        dedupe_key=dedupe_key(event),
        event_name=event.event_name or "unknown",
        body=body,
    )
