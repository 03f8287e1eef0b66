"""Locks: mutual exclusion, blocking timeouts, pruning in-process, expiry on Redis."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot.backends.base import LockManager, LockTimeout
from bot.backends.memory import MemoryLocks
from bot.backends.redis import RedisLocks


class TestLocks:
    async def test_mutual_exclusion(self, locks: LockManager) -> None:
        holders = 0
        most = 0
        counter = 0

        async def critical() -> None:
            nonlocal holders, most, counter
            async with locks.lock("shared", timeout=10):
                holders += 1
                most = max(most, holders)
                value = counter
                await asyncio.sleep(0)
                counter = value + 1
                holders -= 1

        await asyncio.gather(*(critical() for _ in range(20)))
        assert counter == 20
        assert most == 1

    async def test_different_names_do_not_block(self, locks: LockManager) -> None:
        async with locks.lock("a"), locks.lock("b", blocking_timeout=0):
            pass

    async def test_blocking_timeout_raises(self, locks: LockManager) -> None:
        held = asyncio.Event()
        release = asyncio.Event()

        async def holder() -> None:
            async with locks.lock("busy", timeout=10):
                held.set()
                await release.wait()

        task = asyncio.create_task(holder())
        await held.wait()
        with pytest.raises(LockTimeout):
            async with locks.lock("busy", blocking_timeout=0.05):
                pass
        with pytest.raises(LockTimeout):
            async with locks.lock("busy", blocking_timeout=0):
                pass
        release.set()
        await task
        async with locks.lock("busy", blocking_timeout=1):
            pass

    async def test_released_after_exception(self, locks: LockManager) -> None:
        with pytest.raises(RuntimeError):
            async with locks.lock("x"):
                raise RuntimeError("boom")
        async with locks.lock("x", blocking_timeout=0):
            pass


async def test_memory_locks_are_pruned() -> None:
    locks = MemoryLocks()
    gate = asyncio.Event()

    async def use(name: str) -> None:
        async with locks.lock(name):
            await gate.wait()

    tasks = [asyncio.create_task(use(f"user{n % 5}")) for n in range(20)]
    await asyncio.sleep(0)
    assert len(locks) == 5
    gate.set()
    await asyncio.gather(*tasks)
    assert len(locks) == 0
    with pytest.raises(LockTimeout):
        async with locks.lock("t"), locks.lock("t", blocking_timeout=0.01):
            pass
    assert len(locks) == 0


@pytest.mark.parametrize("kind", ["redis"], indirect=True)
async def test_redis_lock_expires_after_timeout(redis: Redis, redis_prefix: str) -> None:
    locks = RedisLocks(redis, prefix=redis_prefix, sleep=0.01)
    held = asyncio.Event()
    release = asyncio.Event()

    async def stuck_holder() -> None:
        async with locks.lock("job", timeout=0.2):
            held.set()
            await release.wait()

    task = asyncio.create_task(stuck_holder())
    await held.wait()
    async with locks.lock("job", timeout=5, blocking_timeout=5):
        assert not task.done()  # taken over while the first holder still "runs"
        release.set()
        await task  # its late release is logged, not raised, and doesn't free our lock
        with pytest.raises(LockTimeout):
            async with locks.lock("job", blocking_timeout=0):
                pass
