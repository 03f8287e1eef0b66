"""`POST /v3.0/oa/message/cs` with the validation of reference §8.1, and the shut v2 send.

Validation order: token, JSON, recipient, user state (blocked, window), message shape.
Where the reference is unsure the stricter reading wins, so a bot that passes here is
unlikely to be rejected by the real API.
"""

from __future__ import annotations

import json
import unicodedata
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.zalo.state import (
    ATTACHMENT_TTL_MS,
    CS_FREE_MS,
    CS_WINDOW_MS,
    E_ATTACHMENT,
    E_NO_INTERACTION,
    E_NOT_FOLLOWER,
    E_PARAM,
    E_USER_BANNED,
    E_USER_RESTRICTED,
    E_V2_SHUT,
    SentMessage,
    err,
    new_msg_id,
    ok,
)

if TYPE_CHECKING:
    from tests.fakes.zalo.core import FakeZalo

TEXT_MAX = 2000
MAX_BUTTONS = 5
MAX_LIST_ELEMENTS = 5
BUTTON_TYPES = {"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.phone", "oa.open.sms"}
MEDIA_TYPES = {"image", "gif", "sticker"}


class Invalid(Exception):
    """A rejected message: carries the Zalo error code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def routes(fake: FakeZalo) -> list[web.RouteDef]:
    return Send(fake).routes()


class Send:
    def __init__(self, fake: FakeZalo) -> None:
        self.fake = fake

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v3.0/oa/message/cs", self.cs),
            web.post("/v2.0/oa/message", self.v2),
        ]

    async def v2(self, request: web.Request) -> web.Response:
        return err(E_V2_SHUT, "The API is no longer supported, use the v3 API")

    async def cs(self, request: web.Request) -> web.Response:
        fake = self.fake
        if (bad := fake.check_access_token(request.headers.get("access_token"))) is not None:
            return bad
        try:
            body = json.loads(await request.read())
            if not isinstance(body, dict):
                raise Invalid(E_PARAM, "Body must be a JSON object")
            user_id, is_reply = self._recipient(body.get("recipient"))
            user = fake.users.get(user_id)
            if user is None:
                raise Invalid(E_NOT_FOLLOWER, "User has not followed OA or does not exist")
            if user.blocked:
                raise Invalid(E_USER_BANNED, "User is banned or inactive")
            if user.restricted:
                raise Invalid(E_USER_RESTRICTED, "User has restricted this message type")
            if fake.cs_requires_follower and not user.is_follower:
                raise Invalid(E_NOT_FOLLOWER, "User has not followed OA")
            age = fake.now_ms() - user.last_interaction
            if age > CS_WINDOW_MS:
                raise Invalid(E_NO_INTERACTION, "User has not interacted with OA in 7 days")
            message = body.get("message")
            self._message(message)
        except (ValueError, UnicodeDecodeError):
            return err(E_PARAM, "Body is not valid JSON")
        except Invalid as exc:
            return err(exc.code, str(exc))
        item = SentMessage(
            recipient=body["recipient"],
            user_id=user_id,
            message=message,
            message_id=new_msg_id(),
            at=fake.now_ms(),
            billed=age > CS_FREE_MS,
            is_reply=is_reply,
        )
        fake.sent.append(item)
        fake.echo(item)
        return ok({"message_id": item.message_id, "user_id": user_id})

    def _recipient(self, recipient: Any) -> tuple[str, bool]:
        """(user_id, answers-a-message). Takes exactly one of user_id / message_id."""
        if not isinstance(recipient, dict):
            raise Invalid(E_PARAM, "recipient is required")
        keys = set(recipient) & {"user_id", "message_id"}
        if len(keys) != 1 or len(recipient) != 1:
            raise Invalid(E_PARAM, "recipient takes exactly one of user_id, message_id")
        if "user_id" in recipient:
            if not isinstance(recipient["user_id"], str) or not recipient["user_id"]:
                raise Invalid(E_PARAM, "recipient.user_id must be a non-empty string")
            return recipient["user_id"], False
        user_id = self.fake.user_messages.get(str(recipient["message_id"]))
        if user_id is None:
            raise Invalid(E_PARAM, "recipient.message_id is unknown")
        return user_id, True

    def _message(self, message: Any) -> None:
        if not isinstance(message, dict):
            raise Invalid(E_PARAM, "message is required")
        text, attachment = message.get("text"), message.get("attachment")
        if text is None and attachment is None:
            raise Invalid(E_PARAM, "message needs text or attachment")
        if text is not None:
            if not isinstance(text, str):
                raise Invalid(E_PARAM, "text must be a string")
            length = len(unicodedata.normalize("NFC", text))
            if not 1 <= length <= TEXT_MAX:
                raise Invalid(E_PARAM, f"text length must be 1..{TEXT_MAX}, got {length}")
        quote = message.get("quote_message_id")
        if quote is not None and not isinstance(quote, str):
            raise Invalid(E_PARAM, "quote_message_id must be a string")
        if attachment is None:
            return
        if not isinstance(attachment, dict) or not isinstance(attachment.get("payload"), dict):
            raise Invalid(E_PARAM, "attachment needs a type and a payload object")
        kind, payload = attachment.get("type"), attachment["payload"]
        if kind == "file":
            if text is not None:
                raise Invalid(E_PARAM, "a file message takes no text")
            self._upload(payload.get("token"), {"file"})
        elif kind == "template":
            template_type = payload.get("template_type")
            # Only the media template documents a caption next to the attachment.
            if text is not None and template_type != "media":
                raise Invalid(E_PARAM, "give exactly one of text and attachment")
            self._template(template_type, payload)
        else:
            raise Invalid(E_PARAM, f"unknown attachment type {kind!r}")

    def _template(self, template_type: Any, payload: dict[str, Any]) -> None:
        elements = payload.get("elements")
        if not isinstance(elements, list) or not all(isinstance(e, dict) for e in elements):
            raise Invalid(E_PARAM, "payload.elements must be a list of objects")
        if template_type == "media":
            # One image per message: the documented form; galleries are not.
            if len(elements) != 1:
                raise Invalid(E_PARAM, "a media template takes exactly 1 element")
            self._media(elements[0])
        elif template_type == "request_user_info":
            if len(elements) != 1:
                raise Invalid(E_PARAM, "request_user_info takes exactly 1 element")
            self._card(elements[0], need_image=True)
        elif template_type == "list":
            # Undocumented on v3 /cs (§2.3): accepted with the SDK's limits.
            if not 1 <= len(elements) <= MAX_LIST_ELEMENTS:
                raise Invalid(E_PARAM, f"a list takes 1..{MAX_LIST_ELEMENTS} elements")
            for element in elements:
                self._card(element, need_image=False)
        else:
            raise Invalid(E_PARAM, f"unknown template_type {template_type!r}")
        self._buttons(payload.get("buttons", []))

    def _media(self, element: dict[str, Any]) -> None:
        media_type = element.get("media_type")
        if media_type not in MEDIA_TYPES:
            raise Invalid(E_PARAM, f"unknown media_type {media_type!r}")
        has_url, has_id = "url" in element, "attachment_id" in element
        if has_url == has_id:
            raise Invalid(E_PARAM, "a media element takes exactly one of url, attachment_id")
        if has_url:
            url = element["url"]
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise Invalid(E_PARAM, "media url must be an absolute http(s) URL")
        elif media_type != "sticker":  # sticker ids come from Zalo's catalogue, not uploads
            self._upload(element["attachment_id"], {media_type})
        if media_type == "gif" and not (element.get("width") and element.get("height")):
            raise Invalid(E_PARAM, "a gif needs width and height")

    def _upload(self, upload_id: Any, kinds: set[str]) -> None:
        upload = self.fake.attachments.get(str(upload_id))
        if upload is None or upload.kind not in kinds:
            raise Invalid(E_ATTACHMENT, "Attachment is invalid or expired")
        if upload.expired or self.fake.now_ms() - upload.created > ATTACHMENT_TTL_MS:
            raise Invalid(E_ATTACHMENT, "Attachment is invalid or expired")

    def _card(self, element: dict[str, Any], *, need_image: bool) -> None:
        title = element.get("title")
        if not isinstance(title, str) or not title:
            raise Invalid(E_PARAM, "element.title is required")
        for key in ("subtitle", "image_url"):
            if key in element and not isinstance(element[key], str):
                raise Invalid(E_PARAM, f"element.{key} must be a string")
        if need_image and not element.get("image_url"):
            raise Invalid(E_PARAM, "element.image_url is required")
        if "default_action" in element:
            self._action(element["default_action"], need_title=False)

    def _buttons(self, buttons: Any) -> None:
        if not isinstance(buttons, list):
            raise Invalid(E_PARAM, "buttons must be a list")
        if len(buttons) > MAX_BUTTONS:
            raise Invalid(E_PARAM, f"at most {MAX_BUTTONS} buttons")
        for button in buttons:
            self._action(button, need_title=True)

    def _action(self, button: Any, *, need_title: bool) -> None:
        if not isinstance(button, dict):
            raise Invalid(E_PARAM, "a button must be an object")
        kind, payload = button.get("type"), button.get("payload")
        if kind not in BUTTON_TYPES:
            raise Invalid(E_PARAM, f"unknown button type {kind!r}")
        if need_title and not (isinstance(button.get("title"), str) and button["title"]):
            raise Invalid(E_PARAM, "button.title is required")
        if kind in ("oa.query.show", "oa.query.hide"):
            good = isinstance(payload, str) and bool(payload)
        elif kind == "oa.open.url":
            good = isinstance(payload, dict) and str(payload.get("url", "")).startswith("http")
        elif kind == "oa.open.phone":
            good = isinstance(payload, dict) and bool(payload.get("phone_code"))
        else:  # oa.open.sms
            good = (
                isinstance(payload, dict)
                and bool(payload.get("phone_code"))
                and isinstance(payload.get("content"), str)
            )
        if not good:
            raise Invalid(E_PARAM, f"bad payload for a {kind} button")
