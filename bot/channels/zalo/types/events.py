"""Webhook events (reference §1.3-1.4) as bounded, typed models.

Every id and timestamp is a string. Each event knows which side is the user: `user_send_*`
come from the user, while `oa_send_*`, `user_received_message`, `user_seen_message` and
`oa_reacted_message` come *from the OA* (sender and recipient swapped), and follow events
name the user in `follower`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from bot.channels.zalo.types.base import Id, ZaloObject

Short = Annotated[str, Field(max_length=512)]


class Party(ZaloObject):
    id: Id
    admin_id: Id | None = None  # staff member writing from the OA inbox (echoes)


class Coordinates(ZaloObject):
    latitude: float | None = None
    longitude: float | None = None


class AttachmentPayload(ZaloObject):
    url: Annotated[str, Field(max_length=4096)] | None = None
    thumbnail: Annotated[str, Field(max_length=4096)] | None = None
    id: Id | None = None
    name: Short | None = None
    size: Short | None = None
    type: Short | None = None
    description: Annotated[str, Field(max_length=4096)] | None = None
    coordinates: Coordinates | None = None


class InboundAttachment(ZaloObject):
    type: Annotated[str, Field(max_length=32)]
    payload: AttachmentPayload | None = None


class InboundMessage(ZaloObject):
    msg_id: Id | None = None
    text: Annotated[str, Field(max_length=8000)] | None = None
    attachments: list[InboundAttachment] = Field(default_factory=list, max_length=20)
    quote_msg_id: Id | None = None
    msg_ids: list[Id] = Field(default_factory=list, max_length=500)  # user_seen_message
    react_icon: Short | None = None
    delivery_time: Id | None = None  # ZNS receipts
    tracking_id: Short | None = None
    location: Coordinates | None = None  # an older shape of user_send_location [?]


class FullAddress(ZaloObject):
    user_city: Short | None = None
    user_ward: Short | None = None
    user_address: Short | None = None


class SubmittedInfo(ZaloObject):
    """`user_submit_info.info`; the older shape has flat address/city/district/ward."""

    name: Short | None = None
    phone: Short | None = None
    user_dob: Short | None = None
    gender: Short | None = None
    full_address: FullAddress | None = None
    address: Short | None = None
    city: Short | None = None
    district: Short | None = None
    ward: Short | None = None

    @property
    def address_text(self) -> str | None:
        """One line, most specific part first; None when nothing was shared."""
        fa = self.full_address
        parts = (
            [fa.user_address, fa.user_ward, fa.user_city]
            if fa is not None
            else [self.address, self.ward, self.district, self.city]
        )
        text = ", ".join(p.strip() for p in parts if p and p.strip())
        return text or None


class Tag(ZaloObject):
    name: Short
    user_ids: list[Id] = Field(default_factory=list, max_length=10000)


class WebhookEvent(ZaloObject):
    """The common envelope; subclasses say which side is the user."""

    names: ClassVar[frozenset[str]] = frozenset()

    app_id: Id | None = None
    user_id_by_app: Id | None = None
    event_name: Annotated[str, Field(max_length=64)]
    timestamp: Id = ""
    oa_id: Id | None = None
    sender: Party | None = None
    recipient: Party | None = None
    message: InboundMessage | None = None

    @property
    def user_id(self) -> str:
        """The user this event is about (the conversation key); "" for OA-wide events."""
        return self.sender.id if self.sender else ""

    @property
    def oa(self) -> str | None:
        """The OA id the event names, if any."""
        return self.oa_id or (self.recipient.id if self.recipient else None)

    @property
    def msg_id(self) -> str | None:
        return self.message.msg_id if self.message else None


class UserMessage(WebhookEvent):
    """`user_send_*`: sender = user, recipient = OA."""

    names = frozenset(
        f"user_send_{kind}"
        for kind in (
            "text",
            "image",
            "gif",
            "sticker",
            "file",
            "link",
            "location",
            "audio",
            "video",
            "business_card",
        )
    )
    sender: Party
    recipient: Party
    message: InboundMessage


class Follow(WebhookEvent):
    """`follow` / `unfollow`: no sender or recipient; the user is `follower`."""

    names = frozenset({"follow", "unfollow"})
    follower: Party
    source: Short | None = None

    @property
    def user_id(self) -> str:
        return self.follower.id


class SubmitInfo(WebhookEvent):
    """The answer to `request_user_info`; sender = user."""

    names = frozenset({"user_submit_info"})
    sender: Party
    info: SubmittedInfo


class ClickChatNow(WebhookEvent):
    """The user tapped "Nhắn tin" on the OA profile: opens the window, carries no text.

    It comes in two shapes: with `sender`/`recipient` like a message, or flat with
    `user_id` and `oa_id` (reference §1: the payload is not documented).
    """

    names = frozenset({"user_click_chatnow"})
    flat_user_id: Id | None = Field(default=None, alias="user_id")

    @property
    def user_id(self) -> str:
        if self.sender is not None:
            return self.sender.id
        return self.flat_user_id or ""


class UserReaction(WebhookEvent):
    names = frozenset({"user_reacted_message"})
    sender: Party
    message: InboundMessage


class FromOA(WebhookEvent):
    """Sender = OA, recipient = user: echoes, receipts, OA reactions."""

    sender: Party
    recipient: Party

    @property
    def user_id(self) -> str:
        return self.recipient.id

    @property
    def oa(self) -> str | None:
        return self.oa_id or self.sender.id


class OAReaction(FromOA):
    names = frozenset({"oa_reacted_message"})
    message: InboundMessage


class Receipt(FromOA):
    """`user_received_message` (msg_id) and `user_seen_message` (msg_ids[]).

    A ZNS receipt is a `user_received_message` whose recipient is a phone number.
    """

    names = frozenset({"user_received_message", "user_seen_message"})
    message: InboundMessage

    @property
    def message_ids(self) -> list[str]:
        ids = list(self.message.msg_ids)
        if self.message.msg_id and self.message.msg_id not in ids:
            ids.append(self.message.msg_id)
        return ids


class Echo(FromOA):
    """`oa_send_*`: every OA message, ours and staff's. Never answered."""

    names = frozenset(
        f"oa_send_{kind}" for kind in ("text", "image", "file", "gif", "sticker", "list")
    )
    message: InboundMessage


class TagChange(WebhookEvent):
    names = frozenset({"add_user_to_tag", "remove_user_from_tag", "remove_tag"})
    tag: Tag


class UnknownEvent(WebhookEvent):
    """Anything else (or a known name in a shape we could not read): stored, not handled."""

    follower: Party | None = None
    invalid: str | None = None  # why a known event failed validation

    @property
    def user_id(self) -> str:
        if self.follower is not None:
            return self.follower.id
        return self.sender.id if self.sender else ""


EVENT_TYPES: tuple[type[WebhookEvent], ...] = (
    UserMessage,
    Follow,
    SubmitInfo,
    ClickChatNow,
    UserReaction,
    OAReaction,
    Receipt,
    Echo,
    TagChange,
)
BY_NAME: dict[str, type[WebhookEvent]] = {name: cls for cls in EVENT_TYPES for name in cls.names}
