"""FSM backends for core tests: in-process always, Redis too when TEST_REDIS_URL is set.

Redis keys live under the test's `redis_prefix` and are deleted afterwards (never FLUSHDB).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from bot.backends.base import FSMStorage, LockManager
from bot.backends.memory import MemoryFSMStorage, MemoryLocks
from bot.backends.redis import RedisFSMStorage, RedisLocks


@dataclass
class Backend:
    name: str
    storage: FSMStorage
    locks: LockManager


@pytest.fixture(params=["memory", "redis"])
async def backend(
    request: pytest.FixtureRequest, redis_url: str, redis_prefix: str
) -> AsyncIterator[Backend]:
    if request.param == "memory":
        yield Backend("memory", MemoryFSMStorage(), MemoryLocks())
        return
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set")
    client = Redis.from_url(redis_url)
    yield Backend(
        "redis",
        RedisFSMStorage(client, prefix=redis_prefix),
        RedisLocks(client, prefix=redis_prefix, sleep=0.005),
    )
    keys = [key async for key in client.scan_iter(match=f"{redis_prefix}*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()
