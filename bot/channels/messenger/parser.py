"""Stored webhook items → neutral events (a list: none for receipts, echoes and standby).

Mapping (shared/reference/messenger.md §1):
- `message` text/attachments → MessageEvent; `quick_reply.payload` → PayloadEvent, except the
  payload of the `user_phone_number` / `user_email` quick replies, which Meta fills with the
  person's phone or e-mail → SharedInfoEvent.
- `postback` → PayloadEvent (with its `referral.ref`); payload `GET_STARTED` → FollowEvent.
- `referral` → ReferralEvent; `optin` → ReferralEvent (plugin `ref`) or PayloadEvent.
- `reaction` → ReactionEvent.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.channels.messenger.types import Message, MessageAttachment, MessagingItem
from bot.core.events import (
    Attachment,
    Event,
    FollowEvent,
    MessageEvent,
    PayloadEvent,
    ReactionEvent,
    ReferralEvent,
    SharedInfoEvent,
)

log = logging.getLogger("bot.channels.messenger.parser")

GET_STARTED = "GET_STARTED"
# Our payloads are actions ("game:quiz", "menu"); a bare number can only be a shared phone.
PHONE_PAYLOAD = re.compile(r"^\+?[0-9][0-9 ().-]{6,20}$")
EMAIL_PAYLOAD = re.compile(r"^[^@\s:]+@[^@\s:]+\.[^@\s:]+$")


def parse_item(body: dict[str, Any], account_id: str) -> tuple[MessagingItem, list[Event]]:
    """Parse a stored inbox body (as written by the webhook); events for handlers."""
    item = MessagingItem.model_validate(body["item"])
    if body.get("standby"):
        return item, []  # another app owns the thread: acknowledged, never handled as ours
    psid = item.user_id or ""
    common: dict[str, Any] = {
        "channel": "messenger",
        "account_id": account_id,
        "user_id": psid,
        "timestamp_ms": item.timestamp,
        "raw": body["item"],
    }
    fallback_id = f"{item.kind}:{psid}:{item.timestamp}"
    if item.message is not None and not item.message.is_echo:
        return item, [_message(item.message, common, fallback_id)]
    if item.postback is not None:
        pb = item.postback
        event_id = pb.mid or fallback_id
        ref = pb.referral.ref if pb.referral else None
        if pb.payload is None:
            return item, []
        if pb.payload == GET_STARTED:
            source = pb.referral.source if pb.referral else "get_started"
            return item, [FollowEvent(event_id=event_id, source=source, referral=ref, **common)]
        return item, [
            PayloadEvent(
                event_id=event_id, payload=pb.payload, title=pb.title, referral=ref, **common
            )
        ]
    if item.referral is not None and item.referral.ref:
        referral = item.referral
        return item, [
            ReferralEvent(
                event_id=fallback_id, ref=referral.ref or "", source=referral.source, **common
            )
        ]
    if item.optin is not None:
        optin = item.optin
        if optin.ref:
            return item, [
                ReferralEvent(event_id=fallback_id, ref=optin.ref, source="OPTIN", **common)
            ]
        if optin.payload:
            return item, [
                PayloadEvent(
                    event_id=fallback_id, payload=optin.payload, title=optin.title, **common
                )
            ]
        return item, []
    if item.reaction is not None:
        r = item.reaction
        return item, [
            ReactionEvent(
                event_id=f"reaction:{psid}:{r.mid}:{r.action}:{item.timestamp}",
                message_id=r.mid or "",
                reaction=r.reaction or r.emoji or "",
                action=r.action,
                **common,
            )
        ]
    return item, []


def _message(message: Message, common: dict[str, Any], fallback_id: str) -> Event:
    event_id = message.mid or fallback_id
    text = message.text or ""
    if message.quick_reply is not None:
        payload = message.quick_reply.payload.strip()
        if PHONE_PAYLOAD.match(payload):
            return SharedInfoEvent(event_id=event_id, phone=payload, **common)
        if EMAIL_PAYLOAD.match(payload):
            return SharedInfoEvent(event_id=event_id, email=payload, **common)
        return PayloadEvent(event_id=event_id, payload=payload, title=text, **common)
    return MessageEvent(
        event_id=event_id,
        text=text,
        attachments=tuple(_attachment(a) for a in message.attachments),
        reply_to=message.reply_to.mid if message.reply_to else None,
        **common,
    )


def _attachment(att: MessageAttachment) -> Attachment:
    payload = att.payload
    url = (payload.url if payload else None) or att.url
    if payload is not None and payload.sticker_id:
        return Attachment(type="sticker", url=url)
    if att.type == "location" and payload is not None and payload.coordinates is not None:
        c = payload.coordinates
        return Attachment(type="location", latitude=c.lat, longitude=c.long, url=url)
    name = att.title or (payload.title if payload else None)
    return Attachment(type=att.type, url=url, name=name)
