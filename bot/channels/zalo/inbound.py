"""Typed Zalo events → channel-neutral events.

* `user_send_text` → MessageEvent, except a text starting with `#`: that is a button we sent
  (`oa.query.hide` carries `#` + payload) or an OA menu item (`#tracuu`), so it becomes a
  PayloadEvent without the `#`. A bare number answering our numbered-button fallback also
  becomes that button's PayloadEvent.
* other `user_send_*` → MessageEvent with attachments (text kept when present).
* `follow` → FollowEvent, `unfollow` → UnfollowEvent, `user_submit_info` → SharedInfoEvent
  (the phone as Zalo sent it, `84…`; loyalty normalizes it).
* `user_click_chatnow` → PayloadEvent(payload=CHAT_NOW): the user opened the chat from the OA
  profile. It is a button-like intent with no text, so a MessageEvent would reach
  "didn't understand" fallbacks; a fixed payload lets a router answer it explicitly.
* `user_reacted_message` → ReactionEvent.
* Echoes, receipts, OA reactions, tag changes and unknown events → nothing: the bot must not
  answer itself, and those are not the user talking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.channels.zalo.types.events import (
    ClickChatNow,
    Follow,
    InboundAttachment,
    SubmitInfo,
    UserMessage,
    UserReaction,
    WebhookEvent,
)
from bot.core.events import (
    Attachment,
    Event,
    FollowEvent,
    MessageEvent,
    PayloadEvent,
    ReactionEvent,
    SharedInfoEvent,
    UnfollowEvent,
)

PAYLOAD_PREFIX = "#"
CHAT_NOW = "chat_now"

Choices = Mapping[str, tuple[str, str]]  # "1" -> (payload, title)


def encode_payload(payload: str) -> str:
    """What an `oa.query.hide` button sends back when tapped."""
    return PAYLOAD_PREFIX + payload


def decode_payload(text: str) -> str | None:
    """The payload of a `#…` text, or None for ordinary text."""
    text = text.strip()
    if len(text) > 1 and text.startswith(PAYLOAD_PREFIX) and not text[1:].isspace():
        return text[1:].strip()
    return None


def event_id(event: WebhookEvent) -> str:
    """The message id for user messages (a reply can quote it); a derived key otherwise.

    Derived keys always contain ':' so the renderer never mistakes them for a message id.
    """
    if isinstance(event, UserMessage) and event.msg_id:
        return event.msg_id
    return f"{event.event_name}:{event.user_id}:{event.timestamp}"


def _timestamp(event: WebhookEvent) -> int:
    return int(event.timestamp) if event.timestamp.isdigit() else 0


def to_neutral(
    event: WebhookEvent,
    *,
    account_id: str,
    choices: Choices | None = None,
    raw: dict[str, Any] | None = None,
) -> list[Event]:
    """The neutral events for one typed event (at most one today; a list by contract)."""
    common: dict[str, Any] = {
        "channel": "zalo",
        "account_id": account_id,
        "user_id": event.user_id,
        "event_id": event_id(event),
        "timestamp_ms": _timestamp(event),
        "user_id_by_app": event.user_id_by_app,
        "raw": raw if raw is not None else event.model_dump(mode="json", exclude_none=True),
    }
    if isinstance(event, UserMessage):
        return [_message(event, common, choices or {})]
    if isinstance(event, Follow):
        if event.event_name == "follow":
            return [FollowEvent(source=event.source or "", **common)]
        return [UnfollowEvent(**common)]
    if isinstance(event, SubmitInfo):
        info = event.info
        return [
            SharedInfoEvent(
                phone=(info.phone or "").strip() or None,
                name=(info.name or "").strip() or None,
                address=info.address_text,
                **common,
            )
        ]
    if isinstance(event, ClickChatNow):
        return [PayloadEvent(payload=CHAT_NOW, **common)]
    if isinstance(event, UserReaction):
        return [
            ReactionEvent(
                message_id=event.msg_id or "", reaction=event.message.react_icon or "", **common
            )
        ]
    return []


def _message(event: UserMessage, common: dict[str, Any], choices: Choices) -> Event:
    msg = event.message
    text = msg.text or ""
    if event.event_name == "user_send_text" and not msg.attachments:
        payload = decode_payload(text)
        if payload is not None:
            return PayloadEvent(payload=payload, **common)
        picked = choices.get(text.strip().rstrip("."))
        if picked is not None:
            return PayloadEvent(payload=picked[0], title=picked[1], **common)
    attachments = tuple(_attachment(a) for a in msg.attachments)
    if event.event_name == "user_send_location" and not attachments and msg.location:
        attachments = (
            Attachment(
                type="location", latitude=msg.location.latitude, longitude=msg.location.longitude
            ),
        )
    return MessageEvent(text=text, attachments=attachments, reply_to=msg.quote_msg_id, **common)


def _attachment(item: InboundAttachment) -> Attachment:
    p = item.payload
    if p is None:
        return Attachment(type=item.type)
    if item.type == "location" and p.coordinates is not None:
        return Attachment(
            type="location", latitude=p.coordinates.latitude, longitude=p.coordinates.longitude
        )
    return Attachment(type=item.type, url=p.url, name=p.name or p.description)
