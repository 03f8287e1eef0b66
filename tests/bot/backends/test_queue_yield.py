"""The in-process queue yields to webhooks under pressure, and never starves its jobs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.backends.memory import InProcessQueue


async def _until(check: Callable[[], bool], tries: int = 200) -> None:
    """Step the loop until `check()` holds (bounded: 10 ms a step)."""
    for _ in range(tries):
        if check():
            return
        await asyncio.sleep(0.01)


def _queue(seen: list[str], *, busy: list[bool], max_wait: float) -> InProcessQueue:
    queue = InProcessQueue(concurrency=4)

    async def job(ctx: dict[str, Any], name: str) -> None:
        seen.append(name)

    queue.register("job", job)
    queue.yield_to(lambda: busy[0], max_wait=max_wait)
    return queue


async def test_jobs_run_at_once_when_not_busy() -> None:
    seen: list[str] = []
    queue = _queue(seen, busy=[False], max_wait=30)
    await queue.start({})
    await queue.enqueue("job", "a")
    await _until(lambda: bool(seen))
    assert seen == ["a"]
    await queue.close()


async def test_jobs_wait_while_busy_and_start_when_quiet() -> None:
    seen: list[str] = []
    busy = [True]
    queue = _queue(seen, busy=busy, max_wait=30)
    await queue.start({})
    await queue.enqueue("job", "a")
    await asyncio.sleep(0.2)
    assert seen == []  # held back: the webhooks go first
    busy[0] = False
    await _until(lambda: bool(seen))
    assert seen == ["a"]
    await queue.close()


async def test_a_job_never_waits_longer_than_max_wait() -> None:
    seen: list[str] = []
    queue = _queue(seen, busy=[True], max_wait=0.1)
    await queue.start({})
    for name in ("a", "b", "c"):
        await queue.enqueue("job", name)
    await _until(lambda: len(seen) == 3)
    assert sorted(seen) == ["a", "b", "c"]  # busy all along, yet everything ran
    await queue.close()


async def test_zero_max_wait_turns_it_off() -> None:
    seen: list[str] = []
    queue = _queue(seen, busy=[True], max_wait=0)
    await queue.start({})
    await queue.enqueue("job", "a")
    await _until(lambda: bool(seen))
    assert seen == ["a"]
    await queue.close()


async def test_close_drains_without_waiting_for_quiet() -> None:
    seen: list[str] = []
    queue = _queue(seen, busy=[True], max_wait=30)
    await queue.start({})
    await queue.enqueue("job", "a")
    await asyncio.sleep(0.05)
    await asyncio.wait_for(queue.close(drain=True), timeout=5)
    assert seen == ["a"]
