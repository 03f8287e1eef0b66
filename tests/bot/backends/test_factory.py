"""build_backends: in-process without REDIS_URL, Redis (one shared pool) with it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from redis.asyncio import Redis

from bot.backends import Backends, build_backends
from bot.backends.memory import InProcessQueue, MemoryFSMStorage, MemoryKeyValue, MemoryLocks
from bot.backends.redis import ArqQueue, RedisFSMStorage, RedisKeyValue, RedisLocks
from bot.settings import Settings


async def _use(backends: Backends) -> None:
    assert await backends.kv.set("factory", "1", ttl=30, only_if_absent=True) is True
    assert await backends.kv.get("factory") == "1"
    async with backends.locks.lock("factory", blocking_timeout=1):
        pass


async def test_memory_without_redis_url(make_settings: Callable[..., Settings]) -> None:
    backends = build_backends(make_settings())
    assert isinstance(backends.kv, MemoryKeyValue)
    assert isinstance(backends.locks, MemoryLocks)
    assert isinstance(backends.fsm, MemoryFSMStorage)
    assert isinstance(backends.queue, InProcessQueue)
    assert backends.redis is None
    await _use(backends)
    await backends.close()


@pytest.mark.parametrize("kind", ["redis"], indirect=True)
async def test_redis_with_redis_url(
    make_settings: Callable[..., Settings], redis: Redis, redis_url: str, redis_prefix: str
) -> None:
    backends = build_backends(make_settings(REDIS_URL=redis_url))
    assert isinstance(backends.kv, RedisKeyValue)
    assert isinstance(backends.locks, RedisLocks)
    assert isinstance(backends.fsm, RedisFSMStorage)
    assert isinstance(backends.queue, ArqQueue)
    assert backends.queue.queue_name.startswith(redis_prefix)
    await _use(backends)
    assert await redis.get(f"{redis_prefix}kv:factory") == b"1"  # under REDIS_PREFIX
    await backends.close()
