"""The platform channels this build ships, by name."""

from __future__ import annotations

from bot.channels.base import Channel


def channel_classes() -> dict[str, type[Channel]]:
    """Imported lazily so `bot.core` and the CLI's light commands never load platform code."""
    found: dict[str, type[Channel]] = {}
    try:
        from bot.channels.zalo.channel import ZaloChannel
    except ImportError:  # pragma: no cover - during development only
        pass
    else:
        found["zalo"] = ZaloChannel
    try:
        from bot.channels.messenger.channel import MessengerChannel
    except ImportError:  # pragma: no cover - during development only
        pass
    else:
        found["messenger"] = MessengerChannel
    return found
