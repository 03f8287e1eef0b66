"""Fixed-window rate limiting on any :class:`KeyValue` (per-member API limits, reply cooldowns)."""

from __future__ import annotations

from bot.backends.base import KeyValue


class RateLimiter:
    """`hit` counts one use of `key`; the window starts at the first hit and lasts its TTL.

    The counter and its expiry are created in one atomic `incr`, so concurrent hits from
    several processes count exactly and a counter can't be left without an expiry.
    """

    def __init__(self, kv: KeyValue, *, prefix: str = "rl") -> None:
        self._kv = kv
        self._prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def hit(self, key: str, limit: int, window_seconds: float) -> bool:
        """True while `key` has been hit at most `limit` times in the current window."""
        count = await self._kv.incr(self._key(key), ttl=window_seconds)
        return count <= limit

    async def retry_after(self, key: str) -> float:
        """Seconds until the window of `key` ends (0 when there is none): a `Retry-After`."""
        return await self._kv.ttl(self._key(key)) or 0.0

    async def reset(self, key: str) -> None:
        await self._kv.delete(self._key(key))
