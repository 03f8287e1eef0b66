"""How a broadcast shows on Zalo and on Messenger, before it is sent.

The same messages the sender builds (`bot.outreach.broadcasts.BroadcastSender.send_one`: the
image, then the text rendered for one member) go through each running channel's own
renderer, so the preview shows what the platform would get: the pieces a long text is split
into, the image template, and the lengths against the platform limits (the constants the
renderers and the sandbox page use).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.channels.messenger import limits as fb
from bot.channels.zalo.types import outbound as zalo
from bot.content.schema import Content
from bot.contracts.channel import Channel
from bot.core.messages import Image, OutboundMessage, Text
from bot.outreach import broadcasts as bc
from loyalty.models import Member
from loyalty.segments import read

CHANNEL_LIMITS = {"zalo": zalo.TEXT_MAX, "messenger": fb.TEXT_MAX}
SAMPLE_NAME = "Nguyễn Thu Hà"


@dataclass(frozen=True, slots=True)
class Bubble:
    text: str = ""
    image: str = ""
    title: str = ""  # a card's title (Messenger's one-card template)


@dataclass(slots=True)
class ChannelView:
    name: str
    running: bool
    text_max: int
    bubbles: list[Bubble] = field(default_factory=list)
    pieces: int = 0  # text messages the text becomes


@dataclass(slots=True)
class Preview:
    error: str = ""  # the BroadcastError code the create would answer, if any
    error_detail: str = ""
    sample: str = ""  # whose values fill the placeholders
    sample_is_member: bool = False
    text: str = ""
    length: int = 0
    broadcast_max: int = bc.TEXT_MAX
    channels: list[ChannelView] = field(default_factory=list)


def nfc_len(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


async def _sample(segment: str, content: Content) -> tuple[Member | None, dict[str, Any]]:
    """The segment's first member (as of the last refresh), else made-up values."""
    rows = await read.members_page(segment, limit=1)
    member = await Member.get_or_none(id=rows[0].member_id) if rows else None
    if member is None:
        tier = content.loyalty.tiers[0].name
        return None, {"name": SAMPLE_NAME, "points": 120, "tier": tier}
    tier = member.tier or content.loyalty.tiers[0].name
    return member, {"name": member.name or "", "points": member.points_balance, "tier": tier}


def _bubbles(channel: str, payload: dict[str, Any]) -> list[Bubble]:
    message = payload.get("message") or {}
    attachment = message.get("attachment") or {}
    body = attachment.get("payload") or {}
    if channel == "zalo" and body.get("template_type") == "media":
        element = (body.get("elements") or [{}])[0]
        return [Bubble(image=str(element.get("url") or ""), text=str(message.get("text") or ""))]
    if attachment.get("type") == "image":
        return [Bubble(image=str(body.get("url") or ""))]
    if body.get("template_type") == "generic":
        return [
            Bubble(image=str(e.get("image_url") or ""), title=str(e.get("title") or ""))
            for e in body.get("elements") or []
        ]
    if "text" in message:
        return [Bubble(text=str(message["text"]))]
    return []


def _messages(spec: bc.Spec, text: str) -> list[OutboundMessage]:
    messages: list[OutboundMessage] = [Text(text=text, promotional=spec.purpose == "promotion")]
    if spec.image:
        messages.insert(0, Image(url=spec.image))
    return messages


async def build(spec: bc.Spec, content: Content, channels: Mapping[str, Channel]) -> Preview:
    out = Preview()
    try:
        bc.check(spec, content)
    except bc.BroadcastError as exc:
        out.error, out.error_detail = exc.code, exc.detail
        if exc.code in ("unknown_segment", "invalid_message"):
            return out
    member, values = await _sample(spec.segment, content)
    out.sample, out.sample_is_member = values["name"] or content.texts.fallback_name, bool(member)
    out.text = content.render(spec.text, **values)
    out.length = nfc_len(out.text)
    if not out.text.strip():
        return out
    messages = _messages(spec, out.text)
    for name in ("zalo", "messenger"):
        view = ChannelView(name=name, running=name in channels, text_max=CHANNEL_LIMITS[name])
        channel = channels.get(name)
        if channel is not None:
            for request in channel.render(messages, user_id="preview", reply_to=None):
                view.bubbles.extend(_bubbles(name, request.payload))
            view.pieces = sum(1 for b in view.bubbles if b.text and not b.image)
        out.channels.append(view)
    return out
