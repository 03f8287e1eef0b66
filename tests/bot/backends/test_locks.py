"""Locks: mutual exclusion, blocking timeouts, pruning in-process, expiry on Redis."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

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
async def test_a_living_holder_keeps_its_lease(redis: Redis | None, redis_prefix: str) -> None:
    """The lease (`timeout`) is renewed while the holder runs, however long it takes."""
    if redis is None:
        pytest.skip("leases are Redis's: in-process locks die with their process")
    locks = RedisLocks(redis, prefix=redis_prefix, sleep=0.01)
    async with locks.lock("job", timeout=0.3):
        await asyncio.sleep(1.0)  # more than three leases
        with pytest.raises(LockTimeout):
            async with locks.lock("job", blocking_timeout=0):
                pass
    async with locks.lock("job", blocking_timeout=0):  # released at once afterwards
        pass


ROOT = Path(__file__).resolve().parents[3]
HOLDER = """
import asyncio, sys
from redis.asyncio import Redis
from bot.backends.redis import RedisLocks

async def main() -> None:
    locks = RedisLocks(Redis.from_url(sys.argv[1]), prefix=sys.argv[2])
    async with locks.lock("job", timeout=0.5):
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_killed_holders_lease_runs_out_within_its_length(
    redis: Redis | None, redis_prefix: str, redis_url: str
) -> None:
    """`kill -9` of the process holding a lock: the next holder gets it one lease later."""
    if redis is None:
        pytest.skip("leases are Redis's: in-process locks die with their process")
    locks = RedisLocks(redis, prefix=redis_prefix, sleep=0.01)
    root = str(ROOT)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, redis_url, redis_prefix,
        stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": root},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert await asyncio.wait_for(proc.stdout.readline(), 20) == b"held\n"
        with pytest.raises(LockTimeout):
            async with locks.lock("job", blocking_timeout=0):
                pass
        proc.kill()
        await proc.wait()
        loop = asyncio.get_running_loop()
        killed_at = loop.time()
        async with locks.lock("job", timeout=5, blocking_timeout=5):
            waited = loop.time() - killed_at
        assert waited < 1.5  # the lease (0.5 s), not minutes
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
