"""Cross-process named locks on Redis, using redis-py's token-checked `Lock`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from bot.backends.base import LockManager, LockTimeout

log = logging.getLogger("bot.locks")


class RedisLocks(LockManager):
    """`SET NX PX` with a random token; the key expires after `timeout` if the holder dies.

    `sleep` is how often a waiter retries. Releasing a lock that already expired (the body ran
    longer than `timeout`) is logged instead of raised: the work is done, and failing the job
    now would only make it run again.
    """

    def __init__(self, redis: Redis, *, prefix: str, sleep: float = 0.05) -> None:
        self._redis = redis
        self._prefix = prefix
        self._sleep = sleep

    def lock(
        self, name: str, *, timeout: float = 30.0, blocking_timeout: float | None = None
    ) -> AbstractAsyncContextManager[None]:
        return self._hold(name, expire=timeout, blocking_timeout=blocking_timeout)

    @asynccontextmanager
    async def _hold(
        self, name: str, *, expire: float, blocking_timeout: float | None
    ) -> AsyncIterator[None]:
        lock = Lock(
            self._redis,
            f"{self._prefix}lock:{name}",
            timeout=expire,
            sleep=self._sleep,
            blocking_timeout=blocking_timeout,
        )
        if not await lock.acquire():
            raise LockTimeout(name)
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockError:
                log.warning("lock %s expired before release (held over %.1fs)", name, expire)
