"""Cross-process named locks on Redis, using redis-py's token-checked `Lock`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from bot.backends.base import LockManager, LockTimeout

log = logging.getLogger("bot.locks")


class RedisLocks(LockManager):
    """`SET NX PX` with a random token, held as a lease: the key expires `timeout` seconds
    after its holder stopped renewing it, so a killed worker's users wait seconds, not
    minutes. While the holder lives, the lease is renewed every third of `timeout`.

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
        renew = asyncio.create_task(_renew(lock, name, expire), name=f"lock-renew:{name}")
        try:
            yield
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renew
            try:
                await lock.release()
            except LockError:
                log.warning("lock %s expired before release (lease %.1fs)", name, expire)


async def _renew(lock: Lock, name: str, lease: float) -> None:
    """Renew the lease while the holder runs; a lease lost (Redis restarted, a long stall)
    is logged once and not taken back: someone else may hold it now."""
    while True:
        await asyncio.sleep(lease / 3)
        try:
            await lock.reacquire()
        except LockError:
            log.warning("lock %s: lease lost while held", name)
            return
        except Exception as exc:  # Redis unreachable: keep trying while the lease lasts
            log.debug("lock %s: lease not renewed: %r", name, exc)
