"""In-call retries, for the failures that certainly did not reach the platform.

A timeout, a reset connection or a 5xx answer may come after the platform did the work (a
message sent, a token used): retrying at once inside the same call sent the same message up
to three times when a slow platform recovered. Only what certainly did not arrive is
retried here (the connection could not be made; the platform refused with 429 or an error
body); everything else goes back to the caller (the outbox tries again later, with the same
message identity, and records that the first try may have been delivered).
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
