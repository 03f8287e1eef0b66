"""What the page may ask for, checked before anything is built or signed.

The page is a test tool, but its endpoint still faces a browser: every field is bounded and
typed here, and anything else is a 400 with a one-line reason (English, for developers; the
page shows its own Vietnamese message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

Channel = Literal["zalo", "messenger"]
ActionType = Literal["follow", "unfollow", "text", "tap", "phone"]

CHANNELS: tuple[Channel, ...] = ("zalo", "messenger")
ACTIONS: tuple[ActionType, ...] = ("follow", "unfollow", "text", "tap", "phone")

USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,48}$")
NAME_MAX = 64
TEXT_MAX = 4000  # above both platforms' limits, so the bot's own checks are exercised
PAYLOAD_MAX = 1000
TITLE_MAX = 80
PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{7,18}$")


class BadInput(ValueError):
    """The request cannot become a platform event; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class TestUser:
    channel: Channel
    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the tester did."""

    type: ActionType
    text: str = ""
    payload: str = ""
    title: str = ""
    tap_kind: str = ""  # Messenger: postback | quick_reply; Zalo: query
    phone: str = ""  # canonical 84… digits


def _str(body: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str:
    value = body.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadInput(f"{key} must be a string")
    value = value.strip()
    if required and not value:
        raise BadInput(f"{key} is required")
    if len(value) > limit:
        raise BadInput(f"{key} is longer than {limit} characters")
    return value


def parse_user(body: Any) -> TestUser:
    """`{"channel": "zalo"|"messenger", "user": {"id": …, "name": …}}`."""
    if not isinstance(body, dict):
        raise BadInput("the body must be a JSON object")
    channel = body.get("channel")
    if channel not in CHANNELS:
        raise BadInput("channel must be 'zalo' or 'messenger'")
    user = body.get("user")
    if not isinstance(user, dict):
        raise BadInput("user must be an object with id and name")
    user_id = _str(user, "id", 48, required=True)
    if not USER_ID.match(user_id):
        raise BadInput("user.id may contain only letters, digits, '-' and '_' (1..48)")
    return TestUser(channel=channel, user_id=user_id, name=_str(user, "name", NAME_MAX))


def canonical_phone(raw: str) -> str:
    """`0912 345 678`, `+84912345678`, `84912345678` → `84912345678`, as Zalo sends it."""
    if not PHONE.match(raw):
        raise BadInput("phone must be a Vietnamese mobile number such as 0912345678")
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    if not (digits.startswith("84") and 10 <= len(digits) <= 12):
        raise BadInput("phone must be a Vietnamese mobile number such as 0912345678")
    return digits


def parse_action(body: dict[str, Any], channel: Channel) -> Action:
    """The action part of an event request, checked against what the channel can do."""
    kind = body.get("type")
    if kind not in ACTIONS:
        raise BadInput(f"type must be one of {', '.join(ACTIONS)}")
    if kind == "unfollow" and channel != "zalo":
        raise BadInput("unfollow exists on Zalo only")
    if kind == "follow" or kind == "unfollow":
        return Action(type=kind, title=_str(body, "title", TITLE_MAX))
    if kind == "text":
        return Action(type="text", text=_str(body, "text", TEXT_MAX, required=True))
    if kind == "phone":
        return Action(type="phone", phone=canonical_phone(_str(body, "phone", 24, required=True)))
    payload = _str(body, "payload", PAYLOAD_MAX, required=True)
    title = _str(body, "title", TITLE_MAX)
    tap_kind = body.get("kind") or ("query" if channel == "zalo" else "postback")
    allowed = ("query",) if channel == "zalo" else ("postback", "quick_reply")
    if tap_kind not in allowed:
        raise BadInput(f"kind must be one of {', '.join(allowed)} on {channel}")
    return Action(type="tap", payload=payload, title=title, tap_kind=tap_kind)
