"""RateLimiter: a fixed window per key on either KeyValue."""

from __future__ import annotations

import asyncio

from bot.backends.base import KeyValue
from bot.backends.ratelimit import RateLimiter

from .conftest import eventually


class TestRateLimiter:
    async def test_limit_within_window(self, kv: KeyValue) -> None:
        limiter = RateLimiter(kv)
        results = await asyncio.gather(*(limiter.hit("m1", 3, 60) for _ in range(10)))
        assert results.count(True) == 3
        assert await limiter.hit("m2", 3, 60) is True  # other keys are separate
        left = await limiter.retry_after("m1")
        assert 0 < left <= 60
        assert await limiter.retry_after("nobody") == 0.0
        await limiter.reset("m1")
        assert await limiter.hit("m1", 3, 60) is True

    async def test_new_window_after_expiry(self, kv: KeyValue) -> None:
        limiter = RateLimiter(kv, prefix="cooldown")
        assert await limiter.hit("u1", 1, 0.05) is True
        assert await limiter.hit("u1", 1, 0.05) is False
        await eventually(lambda: limiter.hit("u1", 1, 0.05))
