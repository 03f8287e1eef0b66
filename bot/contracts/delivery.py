"""How a channel tells the outbox that a delivery did not simply succeed."""

from __future__ import annotations


class DeliveryError(Exception):
    """Base of delivery outcomes other than success."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientDeliveryError(DeliveryError):
    """Try again later (platform down, rate limited, timeout)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Never retried; `unreachable` marks the contact so nothing more is sent to them."""

    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable
