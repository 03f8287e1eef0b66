"""Backend fixtures: each interface test runs once in-process and once on a real Redis.

The Redis run is skipped without TEST_REDIS_URL. Keys live under the test's `redis_prefix`
and are deleted afterwards, one test at a time (never FLUSHDB: other runs share the server).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.backends.base import FSMStorage, JobQueue, KeyValue, LockManager
from bot.backends.memory import InProcessQueue, MemoryFSMStorage, MemoryKeyValue, MemoryLocks
from bot.backends.redis import ArqQueue, RedisFSMStorage, RedisKeyValue, RedisLocks


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest, redis_url: str) -> str:
    if request.param == "redis" and not redis_url:
        pytest.skip("TEST_REDIS_URL is not set")
    return str(request.param)


@pytest.fixture
async def redis(kind: str, redis_url: str, redis_prefix: str) -> AsyncIterator[Redis | None]:
    if kind != "redis":
        yield None
        return
    client = Redis.from_url(redis_url)
    yield client
    # arq's key names are fixed (`arq:job:<id>`); our prefix is inside every job id.
    for pattern in (f"{redis_prefix}*", f"arq:*:{redis_prefix}*"):
        keys = [key async for key in client.scan_iter(match=pattern, count=1000)]
        if keys:
            await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def kv(redis: Redis | None, redis_prefix: str) -> KeyValue:
    return MemoryKeyValue() if redis is None else RedisKeyValue(redis, prefix=redis_prefix)


@pytest.fixture
def locks(redis: Redis | None, redis_prefix: str) -> LockManager:
    if redis is None:
        return MemoryLocks()
    return RedisLocks(redis, prefix=redis_prefix, sleep=0.01)


@pytest.fixture
def make_fsm(redis: Redis | None, redis_prefix: str) -> Callable[..., FSMStorage]:
    def factory(**ttls: float) -> FSMStorage:
        if redis is None:
            return MemoryFSMStorage(**ttls)
        return RedisFSMStorage(redis, prefix=redis_prefix, **ttls)

    return factory


@pytest.fixture
async def make_queue(
    redis: Redis | None, redis_prefix: str
) -> AsyncIterator[Callable[..., JobQueue]]:
    made: list[JobQueue] = []

    def factory(**options: Any) -> JobQueue:
        queue: JobQueue
        if redis is None:
            queue = InProcessQueue(**options)
        else:
            queue = ArqQueue(redis, prefix=redis_prefix, poll_delay=0.02, **options)
        made.append(queue)
        return queue

    yield factory
    for queue in made:
        await queue.close(drain=False)


async def eventually(check: Callable[[], Any | Awaitable[Any]], limit: float = 10.0) -> None:
    """Wait until `check()` is truthy; the limit only stops a broken test from hanging."""
    async with asyncio.timeout(limit):
        while True:
            result = check()
            if isinstance(result, Awaitable):
                result = await result
            if result:
                return
            await asyncio.sleep(0.01)
