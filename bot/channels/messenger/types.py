"""Webhook payload types: only the fields the bot reads, tolerant of everything else.

Meta's newer docs send every property as a string (`"timestamp": "1458692752478"`), older
ones as numbers; ids and timestamps accept both. Unknown keys are ignored, so a new Meta field
never turns into a 500 (which Meta would retry for hours).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _to_str(value: Any) -> Any:
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _to_int(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


def _none_to_list(value: Any) -> Any:
    """Meta sometimes sends `"attachments": null`: an empty list, not a broken item."""
    return [] if value is None else value


ID_MAX = 256
TEXT_MAX = 20_000
MILLIS_MAX = 10**14  # the year 5138: anything later is not a timestamp
Id = Annotated[str, BeforeValidator(_to_str), Field(max_length=ID_MAX)]
Millis = Annotated[int, BeforeValidator(_to_int), Field(ge=0, le=MILLIS_MAX)]
ShortText = Annotated[str, Field(max_length=TEXT_MAX)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Party(_Model):
    id: Id | None = None
    user_ref: Id | None = None


class QuickReply(_Model):
    payload: ShortText = ""


class ReplyTo(_Model):
    mid: Id | None = None


class Coordinates(_Model):
    lat: float | None = None
    long: float | None = None


class AttachmentPayload(_Model):
    url: ShortText | None = None
    title: ShortText | None = None
    sticker_id: Id | None = None
    coordinates: Coordinates | None = None


class MessageAttachment(_Model):
    type: str = "fallback"
    title: ShortText | None = None
    url: ShortText | None = None
    payload: AttachmentPayload | None = None


class Message(_Model):
    mid: Id | None = None
    text: ShortText | None = None
    is_echo: bool = False
    app_id: Id | None = None
    metadata: ShortText | None = None
    quick_reply: QuickReply | None = None
    reply_to: ReplyTo | None = None
    attachments: Annotated[
        list[MessageAttachment], BeforeValidator(_none_to_list), Field(max_length=100)
    ] = Field(default_factory=list)


class Referral(_Model):
    ref: ShortText | None = None
    source: str = ""
    type: str = ""
    ad_id: Id | None = None
    referer_uri: ShortText | None = None


class Postback(_Model):
    mid: Id | None = None
    title: ShortText = ""
    payload: ShortText | None = None
    referral: Referral | None = None


class Optin(_Model):
    type: str = ""
    payload: ShortText | None = None
    title: ShortText = ""
    ref: ShortText | None = None
    notification_messages_token: ShortText | None = None


class Reaction(_Model):
    mid: Id | None = None  # some reactions come without the message id
    action: str = "react"
    reaction: str | None = None
    emoji: str | None = None


class DeliveryReceipt(_Model):
    mids: Annotated[list[Id], BeforeValidator(_none_to_list), Field(max_length=1000)] = Field(
        default_factory=list
    )
    watermark: Millis = 0


class ReadReceipt(_Model):
    watermark: Millis = 0


class MessageEdit(_Model):
    mid: Id
    text: ShortText = ""
    num_edit: Millis = 0


class MessagingItem(_Model):
    """One `entry[].messaging[]` (or `standby[]`) object; exactly one event key is set."""

    sender: Party = Party()
    recipient: Party = Party()
    timestamp: Millis = 0
    message: Message | None = None
    postback: Postback | None = None
    referral: Referral | None = None
    optin: Optin | None = None
    reaction: Reaction | None = None
    delivery: DeliveryReceipt | None = None
    read: ReadReceipt | None = None
    message_edit: MessageEdit | None = None

    @property
    def kind(self) -> str:
        """Which event this is; handover and policy events come out as `other`."""
        if self.message is not None:
            return "echo" if self.message.is_echo else "message"
        for name in ("postback", "referral", "optin", "reaction", "delivery", "read"):
            if getattr(self, name) is not None:
                return name
        if self.message_edit is not None:
            return "message_edit"
        return "other"

    @property
    def user_id(self) -> str | None:
        """The person's PSID: the recipient of echoes, the sender of everything else."""
        party = self.recipient if self.kind == "echo" else self.sender
        return party.id
