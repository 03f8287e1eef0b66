"""JobQueue.enqueue_many: one call per webhook batch, the same job-id rules as `enqueue`.

Runs on the in-process queue (the base class loop) and on arq (one Lua script), through the
interface; the Redis-only tests check the script writes what arq's own `enqueue_job` writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from arq.jobs import Job
from redis.asyncio import Redis

from bot.backends.base import JobQueue
from bot.backends.redis import ArqQueue
from bot.backends.redis.queue import load_job

from .conftest import eventually

MakeQueue = Callable[..., JobQueue]
Ran = list[tuple[str, tuple[Any, ...]]]


def recording(ran: Ran) -> Callable[..., Any]:
    async def job(ctx: dict[str, Any], *args: Any) -> None:
        ran.append((ctx["job_id"], args))

    return job


async def test_returns_how_many_were_new_and_dedupes_by_job_id(make_queue: MakeQueue) -> None:
    queue = make_queue()
    ran: Ran = []
    queue.register("job", recording(ran))
    assert await queue.enqueue("job", "first", job_id="a") is True
    added = await queue.enqueue_many(
        "job",
        [
            (("again",), "a"),  # already queued: skipped, its args are not used
            (("zalo", "oa1", "u1"), "b"),
            (("messenger", "p1", "Nguyễn"), "c"),
            (("dup",), "b"),  # repeated within the call
        ],
    )
    assert added == 2
    assert await queue.enqueue_many("job", [((), "b"), ((), "c")]) == 0  # still queued
    assert await queue.enqueue("job", "late", job_id="c") is False
    assert await queue.enqueue_many("job", []) == 0
    await queue.start({})
    await eventually(lambda: len(ran) == 3)
    assert sorted(ran) == [
        ("a", ("first",)),
        ("b", ("zalo", "oa1", "u1")),
        ("c", ("messenger", "p1", "Nguyễn")),
    ]


async def test_unknown_job_is_refused(make_queue: MakeQueue) -> None:
    queue = make_queue()
    queue.register("job", recording([]))
    with pytest.raises(ValueError):
        await queue.enqueue_many("missing", [(("x",), "m1")])


@pytest.mark.parametrize("bad", [("a", ["list"]), (b"bytes",), ("x", {"k": 1}), (object(),)])
async def test_arguments_must_be_plain_values(make_queue: MakeQueue, bad: tuple[Any, ...]) -> None:
    """Redis carries these jobs as JSON; every queue refuses what JSON would alter."""
    queue = make_queue()
    queue.register("job", recording([]))
    with pytest.raises(TypeError, match="enqueue_many takes"):
        await queue.enqueue_many("job", [(("ok", 1, 2.5, True, None), "fine"), (bad, "bad")])


async def test_ids_are_free_again_once_their_jobs_finished(make_queue: MakeQueue) -> None:
    queue = make_queue()
    ran: Ran = []
    queue.register("job", recording(ran))
    await queue.start({})
    jobs = [((n,), f"inbox:{n}") for n in range(1, 21)]
    assert await queue.enqueue_many("job", jobs) == 20
    await eventually(lambda: len(ran) == 20)
    assert sorted(ran) == sorted((job_id, args) for args, job_id in jobs)

    async def all_free() -> bool:  # arq drops a job's keys just after the call returns
        return await queue.enqueue_many("job", [((0,), "inbox:1"), ((0,), "inbox:2")]) == 2

    await eventually(all_free)
    await eventually(lambda: len(ran) == 22)


@pytest.mark.parametrize("kind", ["redis"], indirect=True)
async def test_arq_jobs_match_enqueue_job_and_run_in_another_process(
    redis: Redis, redis_prefix: str
) -> None:
    """`serve` enqueues with the script, a separate `worker` runs the jobs; the stored job is
    the one arq's `enqueue_job` stores (payload, queue score, expiry)."""
    ran: Ran = []
    producer = ArqQueue(redis, prefix=redis_prefix, poll_delay=0.02)
    consumer = ArqQueue(redis, prefix=redis_prefix, poll_delay=0.02)
    for queue in (producer, consumer):
        queue.register("job", recording(ran))
    try:
        assert await producer.enqueue("job", "zalo", "oa1", "u1", job_id="one") is True
        added = await producer.enqueue_many(
            "job", [(("zalo", "oa1", "u2"), "many"), (("x",), "one")]
        )
        assert added == 1
        assert await consumer.enqueue("job", "y", job_id="many") is False  # arq sees it
        # `enqueue` stores arq's pickle, `enqueue_many` JSON; our deserializer reads both.
        single, batch = [
            await Job(
                f"{redis_prefix}{job_id}",
                redis,
                _queue_name=producer.queue_name,
                _deserializer=load_job,
            ).info()
            for job_id in ("one", "many")
        ]
        assert single is not None and batch is not None
        assert (batch.function, batch.args, batch.kwargs) == ("job", ("zalo", "oa1", "u2"), {})
        assert (batch.job_try, batch.score is not None) == (single.job_try, True)
        for job_id in ("one", "many"):
            ttl = await redis.pttl(f"arq:job:{redis_prefix}{job_id}")
            assert ttl > 0  # expires like arq's own jobs
        await producer.close()
        await consumer.start({})
        await eventually(lambda: len(ran) == 2)
        await consumer.close(drain=True)
        assert sorted(ran) == [("many", ("zalo", "oa1", "u2")), ("one", ("zalo", "oa1", "u1"))]
    finally:
        for queue in (producer, consumer):
            await queue.close(drain=False)
