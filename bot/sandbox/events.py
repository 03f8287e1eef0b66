"""Platform-shaped webhook bodies for what the tester did (zalo.md §1.3-1.4, messenger.md §1).

They are built the way each platform builds them, so the webhook, parser and handlers see
nothing they would not see in production. One addition each: `sandbox_profile` carries the
test user's display name, since no profile API answers in sandbox mode (the channel keeps it
when it has no credentials, and ignores it otherwise).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from bot.channels.messenger.parser import GET_STARTED
from bot.sandbox.inputs import Action, TestUser

Body = dict[str, Any]


def now_ms() -> int:
    return int(time.time() * 1000)


def _profile(user: TestUser) -> dict[str, str]:
    return {"name": user.name} if user.name else {}


def zalo_app_user(user: TestUser) -> str:
    """A stable stand-in for `user_id_by_app` (the id the Zalo Mini App sees)."""
    return f"app-{user.user_id}"


def zalo_body(user: TestUser, action: Action, *, app_id: str, oa_id: str, ts: int) -> Body:
    """One Zalo OA webhook body. Every id and the timestamp are strings, as Zalo sends them."""
    body: Body = {
        "app_id": app_id,
        "user_id_by_app": zalo_app_user(user),
        "event_name": "",
        "timestamp": str(ts),
    }
    if action.type in ("follow", "unfollow"):
        body.update(
            event_name=action.type,
            oa_id=oa_id,
            source="oa_profile",
            follower={"id": user.user_id},
        )
    elif action.type == "phone":
        body.update(
            event_name="user_submit_info",
            sender={"id": user.user_id},
            recipient={"id": oa_id},
            info={"name": user.name or user.user_id, "phone": action.phone},
        )
    else:
        # A tapped `oa.query.*` button sends its payload as the user's own text.
        text = action.payload if action.type == "tap" else action.text
        body.update(
            event_name="user_send_text",
            sender={"id": user.user_id},
            recipient={"id": oa_id},
            message={"msg_id": secrets.token_hex(16), "text": text},
        )
    profile = _profile(user)
    if profile:
        body["sandbox_profile"] = profile
    return body


def messenger_item(user: TestUser, action: Action, *, page_id: str, ts: int) -> Body:
    """One `entry[].messaging[]` object from the person to the Page."""
    mid = "m_sandbox_" + secrets.token_urlsafe(18)
    item: Body = {"sender": {"id": user.user_id}, "recipient": {"id": page_id}, "timestamp": ts}
    if action.type == "follow":
        item["postback"] = {"mid": mid, "title": action.title, "payload": GET_STARTED}
    elif action.type == "phone":
        # The user_phone_number quick reply: Meta fills both text and payload with the number.
        phone = "+" + action.phone
        item["message"] = {"mid": mid, "text": phone, "quick_reply": {"payload": phone}}
    elif action.type == "tap" and action.tap_kind == "postback":
        item["postback"] = {"mid": mid, "title": action.title, "payload": action.payload}
    elif action.type == "tap":
        text = action.title or action.payload
        item["message"] = {"mid": mid, "text": text, "quick_reply": {"payload": action.payload}}
    else:
        item["message"] = {"mid": mid, "text": action.text}
    profile = _profile(user)
    if profile:
        item["sandbox_profile"] = profile
    return item


def messenger_envelope(item: Body, *, page_id: str, ts: int) -> Body:
    return {"object": "page", "entry": [{"id": page_id, "time": ts, "messaging": [item]}]}
