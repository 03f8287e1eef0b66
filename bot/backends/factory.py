"""Pick the backends from settings: in-process when `REDIS_URL` is empty, Redis otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from bot.backends.base import FSMStorage, JobQueue, KeyValue, LockManager
from bot.settings import Settings


@dataclass
class Backends:
    """The shared-state services of one process; `redis` is the pool they share, if any."""

    kv: KeyValue
    locks: LockManager
    fsm: FSMStorage
    queue: JobQueue
    redis: Redis | None = None

    async def close(self) -> None:
        """Close everything; a queue still consuming is stopped without draining."""
        await self.queue.close(drain=False)
        await self.fsm.close()
        await self.locks.close()
        await self.kv.close()
        if self.redis is not None:
            await self.redis.aclose()  # from_url: closes its connection pool too


def build_backends(settings: Settings) -> Backends:
    """No connection is opened here: Redis connects on first use."""
    if not settings.REDIS_URL:
        from bot.backends.memory import (
            InProcessQueue,
            MemoryFSMStorage,
            MemoryKeyValue,
            MemoryLocks,
        )

        return Backends(MemoryKeyValue(), MemoryLocks(), MemoryFSMStorage(), InProcessQueue())

    from bot.backends.redis import ArqQueue, RedisFSMStorage, RedisKeyValue, RedisLocks

    # Bytes, not decoded strings: arq needs raw bytes on the same pool.
    redis = Redis.from_url(settings.REDIS_URL, health_check_interval=30)
    prefix = settings.REDIS_PREFIX
    return Backends(
        kv=RedisKeyValue(redis, prefix=prefix),
        locks=RedisLocks(redis, prefix=prefix),
        fsm=RedisFSMStorage(redis, prefix=prefix),
        queue=ArqQueue(
            redis,
            prefix=prefix,
            concurrency=settings.QUEUE_CONCURRENCY,
            poll_delay=settings.QUEUE_POLL_SECONDS,
        ),
        redis=redis,
    )
