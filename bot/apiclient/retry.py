"""In-call retries, for the failures that certainly did not reach the platform.

A timeout, a reset connection or a 5xx answer may come after the platform did the work (a
message sent, a token used): retrying at once inside the same call sent the same message up
to three times when a slow platform recovered. Only what certainly did not arrive is
retried here (the connection could not be made; the platform refused with 429 or an error
body); everything else goes back to the caller: `maybe_delivered` tells the outbox, which
tries again only after a hold long enough for the platform's echo of the first try to
arrive (Messenger: `metadata = "outbox:<id>"`), with the same message identity, and records
that the first try may have been delivered.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`attempts` tries in total; full jitter over an exponential ceiling."""

    attempts: int = 3
    base: float = 0.2
    cap: float = 2.0

    def delay(self, attempt: int) -> float:
        """Seconds before retry number `attempt + 1` (attempt 0 is the first retry)."""
        return random.uniform(0.0, min(self.cap, self.base * 2.0**attempt))


def never_sent(exc: BaseException) -> bool:
    """The request certainly did not reach the platform: it may be sent again at once."""
    return isinstance(exc, aiohttp.ClientConnectorError)


def maybe_delivered(exc: BaseException) -> bool:
    """A failed call that may still have reached the platform (a timeout, a reset, a 5xx).

    True when `exc` or an exception it was raised from or during carries
    `maybe_delivered = True` (the clients' network errors do): a channel turns those into
    a `TransientDeliveryError`, and the outbox must not resend blindly.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "maybe_delivered", False) is True:
            return True
        current = current.__cause__ or current.__context__
    return False
