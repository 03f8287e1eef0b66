"""What a person sees of one message on Zalo or Messenger, flattened from the fakes' records:
the text, the image link, and the buttons with the payload each sends back when tapped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Tap:
    """A button or quick reply as the platform shows it; `payload` is what we sent."""

    title: str
    payload: str  # the bot's payload (Zalo's leading "#" removed)
    kind: str  # "zalo", "postback" or "quick_reply"
    raw: str  # what the platform sends back when tapped


@dataclass
class Out:
    """One message the platform received for the person, flattened."""

    text: str = ""
    image: str | None = None
    taps: list[Tap] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # URL buttons: (title, url)

    def tap(self, payload_prefix: str) -> Tap:
        for tap in self.taps:
            if tap.payload.startswith(payload_prefix):
                return tap
        raise AssertionError(f"no button {payload_prefix!r} in {self.taps}")

    def has(self, payload_prefix: str) -> bool:
        return any(t.payload.startswith(payload_prefix) for t in self.taps)


def zalo_out(message: dict[str, Any]) -> Out:
    out = Out(text=message.get("text") or "")
    attachment = message.get("attachment") or {}
    if attachment.get("type") != "template":
        return out
    payload = attachment["payload"]
    element = (payload.get("elements") or [{}])[0]
    if payload["template_type"] == "media":
        out.image = element.get("url")
    else:
        parts = [out.text, element.get("title") or "", element.get("subtitle") or ""]
        out.text = "\n".join(p for p in parts if p)
    for button in payload.get("buttons") or []:
        if button["type"] == "oa.query.hide":
            raw = button["payload"]
            out.taps.append(Tap(button["title"], raw.removeprefix("#"), "zalo", raw))
        elif button["type"] == "oa.open.url":
            out.links.append((button["title"], button["payload"]["url"]))
    return out


def messenger_out(message: dict[str, Any]) -> Out:
    out = Out(text=message.get("text") or "")
    attachment = message.get("attachment") or {}
    payload = attachment.get("payload") or {}
    buttons: list[dict[str, Any]] = []
    if attachment.get("type") == "image":
        out.image = payload.get("url")
    elif payload.get("template_type") == "button":
        out.text = payload.get("text") or ""
        buttons = payload.get("buttons") or []
    elif payload.get("template_type") == "generic":
        element = payload["elements"][0]
        out.text, out.image = element.get("title") or "", element.get("image_url")
        buttons = element.get("buttons") or []
    for button in buttons:
        if button.get("type") == "postback":
            out.taps.append(Tap(button["title"], button["payload"], "postback", button["payload"]))
        elif button.get("type") == "web_url":
            out.links.append((button["title"], button["url"]))
    for chip in message.get("quick_replies") or []:
        out.taps.append(Tap(chip["title"], chip["payload"], "quick_reply", chip["payload"]))
    return out
