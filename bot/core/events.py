"""Channel-neutral inbound events.

Channels parse their platform JSON into these; routers, filters and the FSM see nothing else,
so every product flow is written once for Zalo and Messenger alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

Channel = Literal["zalo", "messenger"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Common envelope: who, where, which platform event (for dedupe and ordering)."""

    kind: ClassVar[str] = "event"

    channel: Channel
    account_id: str  # OA id or Page id
    user_id: str  # OA-scoped user id or PSID; the conversation key
    event_id: str  # platform id (msg_id / mid) or a derived key; unique per account
    timestamp_ms: int = 0
    user_id_by_app: str | None = None  # Zalo: the app-scoped id, joins the Mini App id
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    type: str  # image, gif, sticker, file, audio, video, link, location, fallback
    url: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEvent(Event):
    """The user wrote text or sent attachments (image, location, sticker, ...)."""

    kind: ClassVar[str] = "message"

    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PayloadEvent(Event):
    """A button, postback, quick reply or menu item carrying a machine payload."""

    kind: ClassVar[str] = "payload"

    payload: str
    title: str = ""
    referral: str | None = None  # m.me/...?ref= carried on a first postback


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowEvent(Event):
    """Zalo follow, or Messenger Get Started: the start of a relationship."""

    kind: ClassVar[str] = "follow"

    source: str = ""
    referral: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnfollowEvent(Event):
    kind: ClassVar[str] = "unfollow"


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedInfoEvent(Event):
    """The user shared profile data on request (Zalo `user_submit_info`, Messenger phone QR)."""

    kind: ClassVar[str] = "shared_info"

    phone: str | None = None
    name: str | None = None
    email: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralEvent(Event):
    """The user arrived through a tracked link or ad (Messenger referral)."""

    kind: ClassVar[str] = "referral"

    ref: str
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReactionEvent(Event):
    kind: ClassVar[str] = "reaction"

    message_id: str
    reaction: str
    action: str = "react"


EVENT_KINDS: tuple[type[Event], ...] = (
    MessageEvent,
    PayloadEvent,
    FollowEvent,
    UnfollowEvent,
    SharedInfoEvent,
    ReferralEvent,
    ReactionEvent,
)
