"""JobQueue: the in-process queue and arq on Redis behave the same through the interface."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.backends.base import JobQueue, Retry
from bot.backends.memory import InProcessQueue
from bot.backends.redis import ArqQueue

from .conftest import eventually

MakeQueue = Callable[..., JobQueue]


async def noop(ctx: dict[str, Any]) -> None:
    return None


async def until_free(queue: JobQueue, job_id: str) -> None:
    """Wait until `job_id` can be taken again, i.e. its job has completely finished."""
    await eventually(lambda: queue.enqueue("noop", job_id=job_id))


class TestJobQueue:
    async def test_job_runs_with_ctx_and_args(self, make_queue: MakeQueue) -> None:
        queue = make_queue()
        seen: list[tuple[Any, ...]] = []

        async def job(ctx: dict[str, Any], text: str, n: int) -> None:
            seen.append((ctx["tag"], ctx["job_id"], text, n))

        queue.register("job", job)
        assert await queue.enqueue("job", "Chào", 2, job_id="j1") is True
        await queue.start({"tag": "T"})
        await eventually(lambda: seen)
        assert seen == [("T", "j1", "Chào", 2)]

    async def test_urgent_jobs_go_before_the_ones_already_waiting(
        self, make_queue: MakeQueue
    ) -> None:
        """A reply's send job overtakes a burst's handler jobs queued before it."""
        queue = make_queue(concurrency=1)
        order: list[str] = []

        async def handle(ctx: dict[str, Any], n: int) -> None:
            order.append(f"handle{n}")

        async def send(ctx: dict[str, Any], n: int) -> None:
            order.append(f"send{n}")

        queue.register("handle", handle)
        queue.register("send", send, urgent=True)
        for n in range(5):
            await queue.enqueue("handle", n, job_id=f"h{n}")
        await queue.enqueue("send", 1, job_id="s1")
        await queue.enqueue("send", 2, job_id="s2")
        await queue.start({})
        await eventually(lambda: len(order) == 7)
        assert order[:2] == ["send1", "send2"]  # urgent first, in their own order
        assert order[2:] == [f"handle{n}" for n in range(5)]

    async def test_unknown_job_and_late_register(self, make_queue: MakeQueue) -> None:
        queue = make_queue()
        queue.register("noop", noop)
        with pytest.raises(ValueError):
            await queue.enqueue("missing")
        await queue.start({})
        with pytest.raises(RuntimeError):
            queue.register("late", noop)

    async def test_job_id_dedupe_while_queued_and_running(self, make_queue: MakeQueue) -> None:
        queue = make_queue()
        gate = asyncio.Event()
        runs: list[int] = []

        async def job(ctx: dict[str, Any], n: int) -> None:
            runs.append(n)
            await gate.wait()

        queue.register("job", job)
        queue.register("noop", noop)
        assert await queue.enqueue("job", 1, job_id="same") is True
        assert await queue.enqueue("job", 2, job_id="same") is False  # queued
        assert await queue.enqueue("job", 9, job_id="other") is True
        await queue.start({})
        await eventually(lambda: sorted(runs) == [1, 9])
        assert await queue.enqueue("job", 3, job_id="same") is False  # running
        gate.set()
        await eventually(lambda: queue.enqueue("job", 4, job_id="same"))  # finished: free
        await eventually(lambda: 4 in runs)
        assert sorted(runs) == [1, 4, 9]

    async def test_retry_then_success(self, make_queue: MakeQueue) -> None:
        queue = make_queue()
        tries: list[int] = []
        done = asyncio.Event()

        async def flaky(ctx: dict[str, Any]) -> None:
            tries.append(ctx["job_try"])
            if len(tries) < 3:
                raise Retry(defer=0.01)
            done.set()

        queue.register("flaky", flaky, max_tries=5)
        queue.register("noop", noop)
        await queue.enqueue("flaky", job_id="f")
        await queue.start({})
        await eventually(done.is_set)
        await until_free(queue, "f")
        assert tries == [1, 2, 3]

    async def test_retry_gives_up_after_max_tries(self, make_queue: MakeQueue) -> None:
        queue = make_queue()
        calls: list[int] = []

        async def always(ctx: dict[str, Any]) -> None:
            calls.append(ctx["job_try"])
            raise Retry(defer=0.01)

        queue.register("always", always, max_tries=2)
        queue.register("noop", noop)
        await queue.enqueue("always", job_id="r")
        await queue.start({})
        await until_free(queue, "r")
        assert calls == [1, 2]

    async def test_exception_is_logged_not_retried_not_fatal(
        self, make_queue: MakeQueue, caplog: pytest.LogCaptureFixture
    ) -> None:
        queue = make_queue(concurrency=1)
        calls: list[str] = []

        async def job(ctx: dict[str, Any], what: str) -> None:
            calls.append(what)
            if what == "bad":
                raise ValueError("broken job")

        queue.register("job", job, max_tries=5)
        queue.register("noop", noop)
        await queue.enqueue("job", "bad", job_id="b")
        await queue.start({})
        await until_free(queue, "b")
        await queue.enqueue("job", "good")
        await eventually(lambda: "good" in calls)
        assert calls == ["bad", "good"]
        assert any(r.exc_info and r.exc_info[0] is ValueError for r in caplog.records)

    async def test_runs_jobs_concurrently(self, make_queue: MakeQueue) -> None:
        queue = make_queue(concurrency=3)
        barrier = asyncio.Barrier(3)
        passed: list[int] = []

        async def job(ctx: dict[str, Any], n: int) -> None:
            await barrier.wait()  # only returns once three jobs run at the same time
            passed.append(n)

        queue.register("job", job)
        for n in range(3):
            await queue.enqueue("job", n)
        await queue.start({})
        await eventually(lambda: len(passed) == 3)

    async def test_deferred_job_runs_later(self, make_queue: MakeQueue) -> None:
        queue = make_queue()
        order: list[str] = []

        async def job(ctx: dict[str, Any], what: str) -> None:
            order.append(what)

        queue.register("job", job)
        await queue.start({})
        assert await queue.enqueue("job", "late", job_id="d", defer=0.3) is True
        assert await queue.enqueue("job", "again", job_id="d") is False  # deferred counts
        await queue.enqueue("job", "now")
        await eventually(lambda: len(order) == 2)
        assert order == ["now", "late"]

    async def test_schedule_runs_periodically(self, make_queue: MakeQueue) -> None:
        queue = make_queue()
        ticks: list[dict[str, Any]] = []

        async def tick(ctx: dict[str, Any]) -> None:
            ticks.append(ctx)

        queue.schedule("tick", tick, every_seconds=0.05)
        await queue.start({"tag": "T"})
        await eventually(lambda: len(ticks) >= 3)
        assert all(ctx["tag"] == "T" for ctx in ticks)

    async def test_close_drains_queued_jobs_and_follow_ups(self, make_queue: MakeQueue) -> None:
        queue = make_queue(concurrency=4)
        done: list[str] = []

        async def work(ctx: dict[str, Any], n: int) -> None:
            await asyncio.sleep(0.01)
            if n == 0:
                await queue.enqueue("work", 100)  # e.g. an inbox job queueing a send
            done.append(str(n))

        queue.register("work", work)
        for n in range(20):
            await queue.enqueue("work", n, job_id=f"w{n}")
        await queue.start({})
        await queue.close(drain=True)
        assert sorted(done, key=int) == [str(n) for n in [*range(20), 100]]
        await queue.close()  # idempotent


async def test_memory_close_drops_deferred_and_refuses_new_jobs() -> None:
    queue = InProcessQueue()
    ran: list[str] = []

    async def job(ctx: dict[str, Any], what: str) -> None:
        ran.append(what)

    queue.register("job", job)
    await queue.start({})
    await queue.enqueue("job", "later", defer=60)
    await queue.enqueue("job", "now")
    await queue.close(drain=True)
    assert ran == ["now"]
    assert await queue.enqueue("job", "after") is False
    assert queue.queued == 0


@pytest.mark.parametrize("kind", ["redis"], indirect=True)
async def test_arq_producer_and_worker_processes(redis: Redis, redis_prefix: str) -> None:
    """`serve` only enqueues; a `worker` started later (or elsewhere) runs the job."""
    ran: list[str] = []

    async def job(ctx: dict[str, Any], what: str) -> None:
        ran.append(what)

    producer = ArqQueue(redis, prefix=redis_prefix, poll_delay=0.02)
    consumer = ArqQueue(redis, prefix=redis_prefix, poll_delay=0.02)
    elsewhere = ArqQueue(redis, prefix=f"{redis_prefix}other:", poll_delay=0.02)
    for queue in (producer, consumer, elsewhere):
        queue.register("job", job)
    try:
        assert await producer.enqueue("job", "from serve", job_id="p1") is True
        assert await consumer.enqueue("job", "dup", job_id="p1") is False
        assert await elsewhere.enqueue("job", "other deployment", job_id="p1") is True
        await producer.close()
        await consumer.start({})
        await eventually(lambda: ran)
        await consumer.close(drain=True)
        assert ran == ["from serve"]
    finally:
        for queue in (producer, consumer, elsewhere):
            await queue.close(drain=False)


async def test_memory_retry_on_last_try_is_dropped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.queue")
    queue = InProcessQueue()

    async def always(ctx: dict[str, Any]) -> None:
        raise Retry(defer=0)

    queue.register("always", always, max_tries=1)
    await queue.start({})
    await queue.enqueue("always")
    await queue.close(drain=True)
    assert [r.name for r in caplog.records if "dropped" in r.getMessage()] == ["bot.queue"]


@pytest.mark.parametrize("kind", ["redis"], indirect=True)
async def test_arq_at_start_runs_even_when_a_dead_worker_marked_the_period(
    redis: Redis, redis_prefix: str
) -> None:
    """The period's mark says "enqueued already", but that worker may have died with it:
    a recovery job (`at_start`) runs at once anyway; any other waits for the next period."""
    every = 600.0
    slot = int(time.time() // every)
    for name in ("recover", "daily"):
        await redis.set(f"{redis_prefix}schedule:{name}:{slot}", b"1", px=int(every * 2000))
    ran: list[str] = []

    async def recover(ctx: dict[str, Any]) -> None:
        ran.append("recover")

    async def daily(ctx: dict[str, Any]) -> None:
        ran.append("daily")

    queue = ArqQueue(redis, prefix=redis_prefix, poll_delay=0.02)
    queue.schedule("recover", recover, every_seconds=every, at_start=True)
    queue.schedule("daily", daily, every_seconds=every)
    try:
        await queue.start({})
        await eventually(lambda: ran)
        await queue.close(drain=True)
        assert ran == ["recover"]
    finally:
        await queue.close(drain=False)
