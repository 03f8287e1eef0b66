"""Channel-neutral outbound messages.

Handlers build these; each channel's renderer turns them into platform payloads within the
platform's limits (text length, button counts) with fallbacks (numbered text for too many
buttons). `channel_data` is the escape hatch for platform-only options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    """Exactly one of `payload` (comes back as a PayloadEvent), `url` or `phone`."""

    title: str
    payload: str | None = None
    url: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.payload, self.url, self.phone)) != 1:
            raise ValueError("Button needs exactly one of payload, url, phone")


@dataclass(frozen=True, slots=True, kw_only=True)
class Outbound:
    """Base of every outbound message."""

    promotional: bool = False  # promotions are never sent outside the platform window
    channel_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Text(Outbound):
    text: str
    buttons: tuple[Button, ...] = ()
    quick_replies: tuple[Button, ...] = ()  # payload buttons shown as chips where supported


@dataclass(frozen=True, slots=True, kw_only=True)
class Image(Outbound):
    """An image by absolute URL (usually one of our `/media/...` renders)."""

    url: str
    caption: str = ""
    buttons: tuple[Button, ...] = ()
    width: int | None = None
    height: int | None = None
    gif: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    title: str
    subtitle: str = ""
    image_url: str | None = None
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Cards(Outbound):
    """A list or carousel of cards (Zalo list template, Messenger generic template)."""

    cards: tuple[Card, ...]
    text: str = ""  # fallback intro where the platform needs one


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestPhone(Outbound):
    """Ask for the user's phone number the platform's native way.

    Zalo: a `request_user_info` template; Messenger: a `user_phone_number` quick reply.
    """

    text: str
    title: str = ""
    subtitle: str = ""
    image_url: str | None = None


OutboundMessage = Text | Image | Cards | RequestPhone
