"""Neutral messages → Send API bodies, within Messenger's limits, with fallbacks.

Choices (documented in the README):
- Text over 2000 characters is split at paragraph, line, then word boundaries.
- Buttons: ≤3 per button template (text ≤640). With more than 3 buttons (a main menu), the
  payload buttons become quick-reply chips (Messenger's own way to offer many choices, up to
  13) and the link/phone buttons stay in a button template with the text. Only when links and
  calls alone exceed 3 do several templates follow, the later ones carrying "…" (a button
  template must have text). Link/phone quick replies cannot be chips, so they join buttons.
- Quick replies: at most 13, titles cut to 20 characters with "…"; they ride on the last
  message of the group. Payloads over 1000 characters are a bug: the button is dropped and
  logged rather than sent truncated (a cut payload would mean something else).
- Image with a short caption (≤80) and buttons → a one-card generic template; otherwise the
  image, then the caption as text (with the buttons as a button template). An uploaded
  `attachment_id` (channel_data) with buttons → a media template.
- Cards → generic template carousels of ≤10 cards; a card with nothing but a title cannot be
  a card, so such cards become a text list.
- RequestPhone → text with a `user_phone_number` quick reply (after a card if it has an
  image).

`channel_data={"messenger": {...}}` options: `tag` (message tag for sends outside the 24-hour
window), `notification_type`, `attachment_id` (Image), `image_aspect_ratio` (Cards/Image),
`typing` (send `typing_on` first).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from bot.channels.messenger import limits as L
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

log = logging.getLogger("bot.channels.messenger.renderer")

METHOD = "me/messages"
ALLOWED_TAGS = frozenset(
    {
        "CONFIRMED_EVENT_UPDATE",
        "POST_PURCHASE_UPDATE",
        "ACCOUNT_UPDATE",
        "HUMAN_AGENT",
        "CUSTOMER_FEEDBACK",
    }
)
NOTIFICATION_TYPES = frozenset({"REGULAR", "SILENT_PUSH", "NO_PUSH"})
FILLER = L.ELLIPSIS  # text where Messenger requires some and the message has none

Msg = dict[str, Any]


def options(message: OutboundMessage) -> dict[str, Any]:
    data = message.channel_data.get("messenger") if message.channel_data else None
    return dict(data) if isinstance(data, dict) else {}


def render(
    messages: Sequence[OutboundMessage], *, user_id: str, reply_to: str | None
) -> list[OutboundRequest]:
    requests: list[OutboundRequest] = []
    for message in messages:
        opts = options(message)
        envelope = _envelope(user_id, reply_to, opts)
        if opts.get("typing"):
            requests.append(
                OutboundRequest(
                    METHOD,
                    {"recipient": {"id": user_id}, "sender_action": "typing_on"},
                    message.promotional,
                )
            )
        for body in render_one(message, opts):
            requests.append(
                OutboundRequest(METHOD, {**envelope, "message": body}, message.promotional)
            )
    return requests


def _envelope(user_id: str, reply_to: str | None, opts: dict[str, Any]) -> dict[str, Any]:
    envelope: dict[str, Any] = {"recipient": {"id": user_id}}
    tag = opts.get("tag")
    if tag is not None:
        if tag not in ALLOWED_TAGS:
            raise ValueError(f"unknown Messenger message tag {tag!r}; use one of {ALLOWED_TAGS}")
        envelope["messaging_type"] = "MESSAGE_TAG"
        envelope["tag"] = tag
    else:
        envelope["messaging_type"] = "RESPONSE" if reply_to else "UPDATE"
    notification = opts.get("notification_type")
    if notification in NOTIFICATION_TYPES:
        envelope["notification_type"] = notification
    return envelope


def render_one(message: OutboundMessage, opts: dict[str, Any]) -> list[Msg]:
    """The `message` objects for one neutral message, in sending order."""
    if isinstance(message, Text):
        return _text(message.text, message.buttons, message.quick_replies)
    if isinstance(message, Image):
        return _image(message, opts)
    if isinstance(message, Cards):
        return _cards(message, opts)
    if isinstance(message, RequestPhone):
        return _request_phone(message)
    raise TypeError(f"cannot render {type(message).__name__} for Messenger")


# -- text and buttons ------------------------------------------------------------------------
def _text(
    text: str, buttons: Sequence[Button] = (), quick_replies: Sequence[Button] = ()
) -> list[Msg]:
    chips = [b for b in quick_replies if b.payload is not None]
    all_buttons = [*buttons, *(b for b in quick_replies if b.payload is None)]
    if len(all_buttons) > L.BUTTONS_MAX:
        chips = [*(b for b in all_buttons if b.payload is not None), *chips]
        all_buttons = [b for b in all_buttons if b.payload is None]
    converted = [b for b in (_button(x) for x in all_buttons) if b is not None]
    out = _with_buttons(text, converted)
    qr = _quick_replies(chips)
    if qr:
        if not out:
            out.append({"text": FILLER})
        out[-1]["quick_replies"] = qr
    return out


def _button_templates(text: str, buttons: list[Msg]) -> list[Msg]:
    out = []
    for start in range(0, len(buttons), L.BUTTONS_MAX):
        payload = {
            "template_type": "button",
            "text": text if start == 0 else FILLER,
            "buttons": buttons[start : start + L.BUTTONS_MAX],
        }
        out.append({"attachment": {"type": "template", "payload": payload}})
    return out


def _button(button: Button) -> Msg | None:
    title = L.truncate(button.title, L.BUTTON_TITLE_MAX) or FILLER
    if button.payload is not None:
        if len(button.payload) > L.PAYLOAD_MAX:
            log.error("button %r dropped: payload over %d characters", title, L.PAYLOAD_MAX)
            return None
        return {"type": "postback", "title": title, "payload": button.payload}
    if button.url is not None:
        return {"type": "web_url", "title": title, "url": button.url}
    phone = phone_e164(button.phone or "")
    if phone is None:
        log.error("button %r dropped: %r is not a phone number", title, button.phone)
        return None
    return {"type": "phone_number", "title": title, "payload": phone}


def phone_e164(raw: str) -> str | None:
    """Call buttons need `+<country><number>`; Vietnamese `0…` numbers become `+84…`."""
    digits = re.sub(r"[\s().-]", "", raw)
    if digits.startswith("+"):
        number = digits
    elif digits.startswith("84"):
        number = "+" + digits
    elif digits.startswith("0"):
        number = "+84" + digits[1:]
    else:
        number = "+" + digits
    return number if re.fullmatch(r"\+[0-9]{6,15}", number) else None


def _quick_replies(chips: Sequence[Button]) -> list[Msg]:
    out: list[Msg] = []
    for chip in chips:
        payload = chip.payload or ""
        if len(payload) > L.PAYLOAD_MAX:
            log.error("quick reply %r dropped: payload too long", chip.title)
            continue
        title = L.truncate(chip.title, L.QUICK_REPLY_TITLE_MAX) or FILLER
        out.append({"content_type": "text", "title": title, "payload": payload})
    if len(out) > L.QUICK_REPLIES_MAX:
        log.warning("%d quick replies; Messenger shows at most 13, the rest dropped", len(out))
    return out[: L.QUICK_REPLIES_MAX]


# -- images, cards, phone request -------------------------------------------------------------
def _aspect(width: int | None, height: int | None, opts: dict[str, Any]) -> str:
    ratio = opts.get("image_aspect_ratio")
    if ratio in ("horizontal", "square"):
        return str(ratio)
    return "square" if width and height and width == height else "horizontal"


def _image(message: Image, opts: dict[str, Any]) -> list[Msg]:
    attachment_id = opts.get("attachment_id")
    media: Msg = {"attachment_id": str(attachment_id)} if attachment_id else {"url": message.url}
    caption = L.nfc(message.caption).strip()
    buttons = [b for b in (_button(x) for x in message.buttons) if b is not None]
    if buttons and attachment_id:
        element = {"media_type": "image", **media, "buttons": buttons[: L.BUTTONS_MAX]}
        out = [_template({"template_type": "media", "elements": [element]})]
        rest = buttons[L.BUTTONS_MAX :]
        if caption or rest:
            out += _with_buttons(caption, rest)
        return out
    if buttons and caption and len(caption) <= L.CARD_TITLE_MAX:
        element = {"title": caption, "image_url": message.url, "buttons": buttons[: L.BUTTONS_MAX]}
        payload = {
            "template_type": "generic",
            "image_aspect_ratio": _aspect(message.width, message.height, opts),
            "elements": [element],
        }
        rest = buttons[L.BUTTONS_MAX :]
        return [_template(payload), *(_button_templates(FILLER, rest) if rest else [])]
    out = [{"attachment": {"type": "image", "payload": media}}]
    if buttons:
        out += _with_buttons(caption, buttons)
    elif caption:
        out += [{"text": t} for t in L.split_text(caption)]
    return out


def _with_buttons(text: str, buttons: list[Msg]) -> list[Msg]:
    if not buttons:
        return [{"text": t} for t in L.split_text(text)]
    chunks = L.split_text(text) or [FILLER]
    pieces = L.split_text(chunks.pop(), L.BUTTON_TEXT_MAX) or [FILLER]
    return [{"text": t} for t in (*chunks, *pieces[:-1])] + _button_templates(pieces[-1], buttons)


def _template(payload: Msg) -> Msg:
    return {"attachment": {"type": "template", "payload": payload}}


def _element(card: Card) -> Msg | None:
    element: Msg = {"title": L.truncate(card.title, L.CARD_TITLE_MAX) or FILLER}
    if card.subtitle.strip():
        element["subtitle"] = L.truncate(card.subtitle, L.CARD_SUBTITLE_MAX)
    if card.image_url:
        element["image_url"] = card.image_url
    buttons = [b for b in (_button(x) for x in card.buttons) if b is not None]
    if len(buttons) > L.BUTTONS_MAX:
        log.warning("card %r has %d buttons; Messenger shows 3", card.title, len(buttons))
    if buttons:
        element["buttons"] = buttons[: L.BUTTONS_MAX]
    return element if len(element) > 1 else None


def _cards(message: Cards, opts: dict[str, Any]) -> list[Msg]:
    out: list[Msg] = [{"text": t} for t in L.split_text(message.text)]
    elements: list[Msg] = []
    bare: list[str] = []
    for card in message.cards:
        element = _element(card)
        if element is None:
            bare.append(L.nfc(card.title).strip())
        else:
            elements.append(element)
    ratio = opts.get("image_aspect_ratio")
    for start in range(0, len(elements), L.CARDS_MAX):
        payload: Msg = {
            "template_type": "generic",
            "image_aspect_ratio": ratio if ratio in ("horizontal", "square") else "horizontal",
            "elements": elements[start : start + L.CARDS_MAX],
        }
        out.append(_template(payload))
    if bare:
        out += [{"text": t} for t in L.split_text("\n".join(f"• {t}" for t in bare))]
    return out


def _request_phone(message: RequestPhone) -> list[Msg]:
    out: list[Msg] = []
    card = Card(
        title=message.title or message.text, subtitle=message.subtitle, image_url=message.image_url
    )
    element = _element(card) if message.image_url or message.subtitle.strip() else None
    if element is not None:
        out.append(_template({"template_type": "generic", "elements": [element]}))
    texts = L.split_text(message.text) or [FILLER]
    out += [{"text": t} for t in texts]
    out[-1]["quick_replies"] = [{"content_type": "user_phone_number"}]
    return out
