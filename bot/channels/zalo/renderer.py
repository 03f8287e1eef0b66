"""Neutral outbound messages → `/v3.0/oa/message/cs` requests, within Zalo's limits.

Capabilities and fallbacks:

* Text: at most 2000 characters after NFC; longer text is split on paragraph, line, then
  word boundaries into several messages.
* Buttons and quick replies (≤5 together): the consultation API takes buttons only in a
  template, so the text's last part (≤600 characters) becomes a one-element `list` template
  (title = first line, subtitle = the rest) carrying the buttons; earlier parts go as text.
  Payload buttons are `oa.query.hide` with `#` + payload (decoded back in `inbound.py`),
  URL buttons `oa.open.url`, phone buttons `oa.open.phone`.
* More than 5 buttons: a numbered text list. The numbers are remembered at delivery, and
  the user's next message "2" comes back as the second button's PayloadEvent.
* Image: a `media` template by absolute URL (or `channel_data["attachment_id"]`), the caption
  as text, buttons as above.
* Cards: a `list` template of ≤5 elements when every card has at most one button (its tap
  action); otherwise one message per card.
* RequestPhone: a `request_user_info` template with exactly one element; the image must be
  absolute, so the default banner is used when none is given.

Replies: only the first request of a reply is addressed `{"message_id": <the user's
message>}` (that makes it count as a reply, §2.3); the rest, and anything answering an event
that is not a message (follow, chat-now: their ids contain ':'), go to `{"user_id"}`.
`channel_data["zalo_message"]` is merged into the first Zalo message (escape hatch).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.channels.zalo.inbound import encode_payload
from bot.channels.zalo.textsplit import nfc, split_tail, split_text, split_title
from bot.channels.zalo.types.outbound import (
    MAX_BUTTONS,
    MAX_ELEMENTS,
    SUBTITLE_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Message,
)
from bot.contracts.outbound import OutboundRequest
from bot.core.messages import (
    Button,
    Card,
    Cards,
    Image,
    OutboundMessage,
    RequestPhone,
    Text,
)

METHOD = "message/cs"
Rendered = tuple[dict[str, Any], dict[str, list[str]] | None]  # (message, numbered choices)


class ZaloRenderer:
    def __init__(self, public_base_url: str, default_image_url: str) -> None:
        self.base = public_base_url.rstrip("/")
        self.default_image_url = default_image_url

    def render(
        self, messages: Sequence[OutboundMessage], *, user_id: str, reply_to: str | None
    ) -> list[OutboundRequest]:
        requests: list[OutboundRequest] = []
        answer = reply_to if reply_to and ":" not in reply_to else None
        for msg in messages:
            rendered = self._one(msg)
            extra = msg.channel_data.get("zalo_message")
            for index, (message, choices) in enumerate(rendered):
                if index == 0 and isinstance(extra, dict):
                    message = {**message, **extra}
                Message.model_validate(message)  # a renderer bug fails here, not at Zalo
                recipient = (
                    {"message_id": answer} if answer and not requests else {"user_id": user_id}
                )
                payload: dict[str, Any] = {"recipient": recipient, "message": message}
                if choices:
                    payload["choices"] = choices
                requests.append(OutboundRequest(METHOD, payload, msg.promotional))
        return requests

    # --- per message type ---------------------------------------------------------------
    def _one(self, msg: OutboundMessage) -> list[Rendered]:
        if isinstance(msg, Text):
            return self._text(msg.text, (*msg.buttons, *msg.quick_replies))
        if isinstance(msg, Image):
            return self._image(msg)
        if isinstance(msg, Cards):
            return self._cards(msg)
        if isinstance(msg, RequestPhone):
            return self._request_phone(msg)
        raise TypeError(f"Zalo cannot render {type(msg).__name__}")

    def _text(self, text: str, buttons: Sequence[Button]) -> list[Rendered]:
        if len(buttons) > MAX_BUTTONS:
            return self._numbered(text, buttons)
        if not buttons:
            return [({"text": piece}, None) for piece in split_text(text, TEXT_MAX)]
        head, tail = split_tail(text, TITLE_MAX + SUBTITLE_MAX)
        title, subtitle = split_title(tail, TITLE_MAX) if tail else ("", "")
        if len(subtitle) > SUBTITLE_MAX:  # the title took a line break's worth less
            head, tail = split_tail(text, SUBTITLE_MAX)
            title, subtitle = split_title(tail, TITLE_MAX)
        out: list[Rendered] = [({"text": p}, None) for p in split_text(head, TEXT_MAX)]
        element: dict[str, Any] = {"title": title or nfc(buttons[0].title)[:TITLE_MAX]}
        if subtitle:
            element["subtitle"] = subtitle
        out.append((self._template("list", [element], buttons), None))
        return out

    def _numbered(self, text: str, buttons: Sequence[Button]) -> list[Rendered]:
        """Too many buttons: "1. Title" lines; payload numbers are remembered at delivery."""
        lines: list[str] = []
        choices: dict[str, list[str]] = {}
        for number, button in enumerate(buttons, 1):
            target = button.url or button.phone
            lines.append(f"{number}. {button.title}" + (f": {target}" if target else ""))
            if button.payload is not None:
                choices[str(number)] = [button.payload, button.title]
        body = (nfc(text).strip() + "\n\n" if text.strip() else "") + "\n".join(lines)
        pieces = split_text(body, TEXT_MAX)
        return [
            ({"text": p}, choices if i == len(pieces) - 1 else None) for i, p in enumerate(pieces)
        ]

    def _image(self, msg: Image) -> list[Rendered]:
        element: dict[str, Any] = {"media_type": "image"}
        if msg.gif and msg.width and msg.height:
            element.update(media_type="gif", width=msg.width, height=msg.height)
        attachment_id = msg.channel_data.get("attachment_id")
        if attachment_id:
            element["attachment_id"] = str(attachment_id)
        else:
            element["url"] = self.absolute(msg.url)
        buttons = msg.buttons if len(msg.buttons) <= MAX_BUTTONS else ()
        message = self._template("media", [element], buttons)
        out: list[Rendered] = []
        caption = nfc(msg.caption).strip()
        if caption and len(caption) <= TEXT_MAX:
            message["text"] = caption
        elif caption:
            out.extend(({"text": p}, None) for p in split_text(caption, TEXT_MAX))
        out.append((message, None))
        if len(msg.buttons) > MAX_BUTTONS:
            out.extend(self._numbered("", msg.buttons))
        return out

    def _cards(self, msg: Cards) -> list[Rendered]:
        out: list[Rendered] = []
        if msg.text.strip():
            out.extend(self._text(msg.text, ()))
        if all(len(card.buttons) <= 1 for card in msg.cards):
            for start in range(0, len(msg.cards), MAX_ELEMENTS):
                chunk = msg.cards[start : start + MAX_ELEMENTS]
                out.append((self._template("list", [self._element(c) for c in chunk], ()), None))
            return out
        for card in msg.cards:
            caption = "\n".join(p for p in (card.title, card.subtitle) if p.strip())
            if card.image_url:
                out.extend(
                    self._image(Image(url=card.image_url, caption=caption, buttons=card.buttons))
                )
            else:
                out.extend(self._text(caption, card.buttons))
        return out

    def _element(self, card: Card) -> dict[str, Any]:
        title, rest = split_title(card.title, TITLE_MAX)
        subtitle = "\n".join(p for p in (rest, nfc(card.subtitle).strip()) if p)
        element: dict[str, Any] = {"title": title or "…"}
        if subtitle:
            element["subtitle"] = _clip(subtitle, SUBTITLE_MAX)
        if card.image_url:
            element["image_url"] = self.absolute(card.image_url)
        if card.buttons:
            action = self._button(card.buttons[0])
            del action["title"]
            element["default_action"] = action
        return element

    def _request_phone(self, msg: RequestPhone) -> list[Rendered]:
        out: list[Rendered] = []
        text = nfc(msg.text).strip()
        if msg.title:
            title, subtitle = nfc(msg.title).strip(), nfc(msg.subtitle).strip()
            if not subtitle and len(text) <= SUBTITLE_MAX:
                subtitle, text = text, ""
        else:
            title, subtitle = split_title(text, TITLE_MAX)
            text = ""
            if msg.subtitle:
                subtitle = "\n".join(p for p in (subtitle, nfc(msg.subtitle).strip()) if p)
        if text:
            out.extend(self._text(text, ()))
        element = {
            "title": _clip(title, TITLE_MAX) or "…",
            "subtitle": _clip(subtitle, SUBTITLE_MAX),
            "image_url": self.absolute(msg.image_url) if msg.image_url else self.default_image_url,
        }
        out.append((self._template("request_user_info", [element], ()), None))
        return out

    # --- pieces ------------------------------------------------------------------------
    def _template(
        self, kind: str, elements: list[dict[str, Any]], buttons: Sequence[Button]
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"template_type": kind, "elements": elements}
        if buttons:
            payload["buttons"] = [self._button(b) for b in buttons]
        return {"attachment": {"type": "template", "payload": payload}}

    def _button(self, button: Button) -> dict[str, Any]:
        title = _clip(nfc(button.title).strip(), TITLE_MAX)
        if button.payload is not None:
            return {
                "title": title,
                "type": "oa.query.hide",
                "payload": encode_payload(button.payload),
            }
        if button.url is not None:
            return {
                "title": title,
                "type": "oa.open.url",
                "payload": {"url": self.absolute(button.url)},
            }
        return {"title": title, "type": "oa.open.phone", "payload": {"phone_code": button.phone}}

    def absolute(self, url: str) -> str:
        """Zalo fetches images itself: relative `/media/...` paths get the public base."""
        if url.startswith(("http://", "https://")):
            return url
        return f"{self.base}/{url.lstrip('/')}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
