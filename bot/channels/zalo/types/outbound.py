"""What we send on `/v3.0/oa/message/cs` (reference §2.3), validated against Zalo's limits.

The renderer builds these and stores their JSON in the outbox; delivery validates the stored
JSON again, so a hand-edited or stale row cannot reach Zalo malformed.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TEXT_MAX = 2000  # characters after NFC
MAX_BUTTONS = 5
MAX_ELEMENTS = 5
TITLE_MAX = 100  # list / request_user_info element title [?] (SDK docs)
SUBTITLE_MAX = 500  # element subtitle [?]

ButtonType = Literal[
    "oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.phone", "oa.open.sms"
]


QueryText = Annotated[str, Field(min_length=1, max_length=1000)]


class Payload(BaseModel):
    """Strict: an unknown key is a bug in the renderer, not something to send."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class UrlAction(Payload):
    url: Annotated[str, Field(pattern=r"^https?://", max_length=2000)]


class PhoneAction(Payload):
    phone_code: Annotated[str, Field(min_length=3, max_length=20)]


class SmsAction(PhoneAction):
    content: Annotated[str, Field(max_length=160)]


class Button(Payload):
    """`oa.query.*` payloads are the text the user's tap sends back; the rest are actions."""

    title: Annotated[str, Field(min_length=1, max_length=TITLE_MAX)]
    type: ButtonType
    payload: QueryText | UrlAction | SmsAction | PhoneAction
    image_icon: str | None = None

    @model_validator(mode="after")
    def _payload_matches_type(self) -> Button:
        expected: type | tuple[type, ...] = {
            "oa.open.url": UrlAction,
            "oa.open.phone": PhoneAction,
            "oa.open.sms": SmsAction,
        }.get(self.type, str)
        if not isinstance(self.payload, expected):
            raise ValueError(f"a {self.type} button needs a {getattr(expected, '__name__', '')}")
        return self


class DefaultAction(Payload):
    """A list element's tap action: a button without a title."""

    type: ButtonType
    payload: str | UrlAction | SmsAction | PhoneAction


class MediaElement(Payload):
    media_type: Literal["image", "gif", "sticker"]
    url: Annotated[str, Field(pattern=r"^https?://")] | None = None
    attachment_id: str | None = None
    width: int | None = None
    height: int | None = None

    @model_validator(mode="after")
    def _one_source(self) -> MediaElement:
        if (self.url is None) == (self.attachment_id is None):
            raise ValueError("a media element takes exactly one of url, attachment_id")
        if self.media_type == "gif" and not (self.width and self.height):
            raise ValueError("a gif needs width and height")
        return self


class ListElement(Payload):
    title: Annotated[str, Field(min_length=1, max_length=TITLE_MAX)]
    subtitle: Annotated[str, Field(max_length=SUBTITLE_MAX)] | None = None
    image_url: Annotated[str, Field(pattern=r"^https?://")] | None = None
    default_action: DefaultAction | None = None


class UserInfoElement(Payload):
    """`request_user_info` needs an absolute image URL; Zalo shows it as the form's banner."""

    title: Annotated[str, Field(min_length=1, max_length=TITLE_MAX)]
    subtitle: Annotated[str, Field(max_length=SUBTITLE_MAX)] = ""
    image_url: Annotated[str, Field(pattern=r"^https?://")]


class MediaTemplate(Payload):
    template_type: Literal["media"] = "media"
    elements: Annotated[list[MediaElement], Field(min_length=1, max_length=1)]
    buttons: Annotated[list[Button], Field(max_length=MAX_BUTTONS)] | None = None


class ListTemplate(Payload):
    template_type: Literal["list"] = "list"
    elements: Annotated[list[ListElement], Field(min_length=1, max_length=MAX_ELEMENTS)]
    buttons: Annotated[list[Button], Field(max_length=MAX_BUTTONS)] | None = None


class UserInfoTemplate(Payload):
    template_type: Literal["request_user_info"] = "request_user_info"
    elements: Annotated[list[UserInfoElement], Field(min_length=1, max_length=1)]


Template = Annotated[
    MediaTemplate | ListTemplate | UserInfoTemplate, Field(discriminator="template_type")
]


class TemplateAttachment(Payload):
    type: Literal["template"] = "template"
    payload: Template


class FilePayload(Payload):
    token: str


class FileAttachment(Payload):
    type: Literal["file"] = "file"
    payload: FilePayload


Attachment = Annotated[TemplateAttachment | FileAttachment, Field(discriminator="type")]


class Recipient(Payload):
    """Exactly one key: `message_id` answers that message (counts as a reply, §2.3)."""

    user_id: str | None = None
    message_id: str | None = None

    @model_validator(mode="after")
    def _one_key(self) -> Recipient:
        if (self.user_id is None) == (self.message_id is None):
            raise ValueError("recipient takes exactly one of user_id, message_id")
        return self


class Message(Payload):
    """Text, an attachment, or (media template only) both: the text is then the caption."""

    model_config = ConfigDict(extra="allow", frozen=True)  # `channel_data` escape hatch

    text: str | None = None
    attachment: Attachment | None = None
    quote_message_id: str | None = None

    @field_validator("text")
    @classmethod
    def _text_limit(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = unicodedata.normalize("NFC", value)
        if not 1 <= len(value) <= TEXT_MAX:
            raise ValueError(f"text must be 1..{TEXT_MAX} characters after NFC")
        return value

    @model_validator(mode="after")
    def _shape(self) -> Message:
        if self.text is None and self.attachment is None:
            raise ValueError("a message needs text or an attachment")
        if self.text is not None and self.attachment is not None:
            payload: Any = self.attachment.payload
            if getattr(payload, "template_type", None) != "media":
                raise ValueError("only a media template takes a caption text")
        return self
