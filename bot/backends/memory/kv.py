"""In-process key-value store with TTLs on the monotonic clock (wall-clock jumps don't matter)."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.backends.base import KeyValue

_MIN_SWEEP = 1024


class MemoryKeyValue(KeyValue):
    """A dict of `(value, expires_at)`.

    Every method runs without awaiting, so each call is atomic for the event loop: that is what
    makes `only_if_absent` and `incr` safe under concurrent coroutines. Expired keys vanish on
    access and in an amortised sweep, so abandoned cooldown marks don't pile up.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._data: dict[str, tuple[str, float | None]] = {}
        self._sweep_at = _MIN_SWEEP

    def _live(self, key: str) -> tuple[str, float | None] | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] is not None and item[1] <= self._clock():
            del self._data[key]
            return None
        return item

    def _store(self, key: str, value: str, ttl: float | None) -> None:
        self._data[key] = (value, None if ttl is None else self._clock() + ttl)
        if len(self._data) >= self._sweep_at:
            self._sweep()

    def _sweep(self) -> None:
        now = self._clock()
        expired = [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]
        for key in expired:
            del self._data[key]
        self._sweep_at = max(_MIN_SWEEP, 2 * len(self._data))

    def __len__(self) -> int:
        """Live keys (tests use it to check nothing leaks)."""
        self._sweep()
        return len(self._data)

    async def get(self, key: str) -> str | None:
        item = self._live(key)
        return None if item is None else item[0]

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        if only_if_absent and self._live(key) is not None:
            return False
        self._store(key, value, ttl)
        return True

    async def delete(self, *keys: str) -> int:
        count = 0
        for key in keys:
            if self._live(key) is not None:
                del self._data[key]
                count += 1
        return count

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        item = self._live(key)
        if item is None:
            value = amount
            self._store(key, str(value), ttl)
        else:
            value = int(item[0]) + amount  # ValueError on a non-integer, like Redis errors
            self._data[key] = (str(value), item[1])
        return value

    async def ttl(self, key: str) -> float | None:
        item = self._live(key)
        if item is None or item[1] is None:
            return None
        return max(item[1] - self._clock(), 0.0)
