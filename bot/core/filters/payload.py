"""`Payload`: the machine payload of a button, quick reply or menu item (exact, case-sensitive).

For structured payloads prefer a `CallbackData` class and its `.filter()`.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.events import Event
from bot.core.filters.base import Filter

Strings = str | Iterable[str]


def _strings(value: Strings | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    if not items or "" in items:
        raise ValueError("Payload() values must be non-empty strings")
    return items


class Payload(Filter):
    """Match `event.payload` exactly (`equals`) or by `prefix`; several values mean any."""

    def __init__(self, equals: Strings | None = None, *, prefix: Strings | None = None) -> None:
        self.equals = _strings(equals)
        self.prefix = _strings(prefix)
        if self.equals is None and self.prefix is None:
            raise ValueError("Payload() needs equals or prefix")

    def __call__(self, event: Event) -> bool:
        payload = getattr(event, "payload", None)
        if not isinstance(payload, str):
            return False
        return (self.equals is None or payload in self.equals) and (
            self.prefix is None or payload.startswith(self.prefix)
        )

    def __repr__(self) -> str:
        return f"Payload(equals={self.equals!r}, prefix={self.prefix!r})"
