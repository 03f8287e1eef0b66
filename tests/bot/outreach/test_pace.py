"""The Redis pacer: workers sending one channel share one rate budget (slots handed out in
turn from Redis's clock), instead of each taking the whole rate."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.outreach.pace import RedisPace, redis_pacers


async def test_two_workers_share_one_budget(redis_url: str, redis_prefix: str) -> None:
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set")
    one, two = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        # one call a minute: the slots are a minute apart whoever takes them, so the
        # microseconds the calls themselves take cannot blur the order
        a = redis_pacers(one, redis_prefix)("zalo", 1 / 60)
        b = redis_pacers(two, redis_prefix)("zalo", 1 / 60)
        other = redis_pacers(two, redis_prefix)("messenger", 1 / 60)
        assert isinstance(a, RedisPace) and isinstance(b, RedisPace)
        assert isinstance(other, RedisPace)
        waits = [await p.reserve() for p in (a, b, a, b)]
        assert waits[0] < 1
        for n in (1, 2, 3):  # each later slot is one more minute away
            assert abs(waits[n] - 60 * n) < 1, waits
        assert await other.reserve() < 1  # another channel has its own budget
        ttl = await one.pttl(f"{redis_prefix}outreach:pace:zalo")
        assert 4 * 60_000 < ttl <= 5 * 60_000  # a minute after the last slot it expires
    finally:
        await one.delete(f"{redis_prefix}outreach:pace:zalo")
        await two.delete(f"{redis_prefix}outreach:pace:messenger")
        await one.aclose()
        await two.aclose()
