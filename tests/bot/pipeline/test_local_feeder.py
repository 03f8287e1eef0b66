"""In-process queue: during a burst the rows wait in the inbox and one drain walks them.

On the session's database (PostgreSQL in CI, SQLite otherwise). The pieces run with a
recording queue and a switchable pressure; the whole app then takes a forced burst and its
in-process queue must stay at one job while every event still gets handled, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.backends.memory import MemoryLocks
from bot.contracts.inbox import InboxItem
from bot.models import InboxEvent
from bot.pipeline.inbox import DRAIN_JOB, PROCESS_JOB, InboxProcessor
from bot.pipeline.local_feeder import LocalFeeder
from bot.settings import Settings
from tests.bot.channels.messenger.conftest import MessengerApp, graph_settings, start_app
from tests.fakes.graph_api import FakeGraph
from tests.helpers import messenger_row as item
from tests.helpers import store_rows, switched_turns, wait_for

Job = tuple[tuple[Any, ...], str]


class RecordingQueue:
    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.taken = 0  # jobs the "workers" have taken so far (`take_all`)
        self.drains: list[int] = []  # the first id of each drain queued
        self.running: set[str] = set()  # drain job ids queued or running

    @property
    def queued(self) -> int:
        return len(self.jobs) - self.taken

    def take_all(self) -> None:
        self.taken = len(self.jobs)

    async def enqueue_many(self, name: str, jobs: Sequence[Job]) -> int:
        assert name == PROCESS_JOB
        self.jobs += jobs
        return len(jobs)

    async def enqueue(self, name: str, *args: Any, job_id: str | None = None) -> bool:
        assert job_id is not None
        if name == PROCESS_JOB:  # the inbox sweep
            self.jobs.append((args, job_id))
            return True
        assert name == DRAIN_JOB
        if job_id in self.running:
            return False  # like the real queues: the id is taken while the job exists
        self.running.add(job_id)
        self.drains.append(args[0])
        return True

    def drains_ended(self) -> None:
        self.running.clear()


@pytest.fixture
async def parts(db: str) -> AsyncIterator[tuple[LocalFeeder, RecordingQueue, list[bool]]]:
    pressed = [False]
    queue = RecordingQueue()
    turns = switched_turns(pressed, max_wait=30)
    feeder = LocalFeeder(queue, turns.pressed, poll=0.02, calm_jobs=2)  # type: ignore[arg-type]
    yield feeder, queue, pressed
    await feeder.close()


def _jobs(rows: Sequence[tuple[tuple[str, InboxItem], int]]) -> list[Job]:
    first: dict[str, int] = {}
    for (_, i), row_id in rows:
        first.setdefault(i.user_id, row_id)
    return sorted(
        (("messenger", "page1", user), f"inbox:{row_id}") for user, row_id in first.items()
    )


async def test_calm_rows_get_a_job_per_user(parts: Any) -> None:
    feeder, queue, _ = parts
    new = await store_rows([item("u1", "a"), item("u2", "b"), item("u1", "c")])
    await feeder.committed(new)
    assert sorted(queue.jobs) == _jobs(new)[:2] and queue.drains == []
    assert not feeder.in_burst


async def test_a_burst_is_one_drain_and_calm_hands_the_rest_out(parts: Any) -> None:
    feeder, queue, pressed = parts
    pressed[0] = True
    first = await store_rows([item("u1", "a"), item("u2", "b")])
    await feeder.committed(first)
    more = await store_rows([item("u3", "c")])
    await feeder.committed(more)
    start = min(row_id for _, row_id in first)
    assert queue.drains == [start]  # one drain for the whole burst
    assert queue.jobs == [] and feeder.in_burst  # no job per user while pressed
    # That drain ends (its deadline, say) with rows left: the next one starts at the
    # burst's first row again, with no new row arriving to trigger it.
    queue.drains_ended()
    await wait_for(lambda: len(queue.drains) == 2, what="the next drain")
    assert queue.drains[1] == start
    # The drain handled u1's row meanwhile; calm: the two rows left get a job each.
    await InboxEvent.filter(id=start).update(status="done")
    pressed[0] = False
    await wait_for(lambda: len(queue.jobs) == 2, what="jobs for the rest")
    assert sorted(queue.jobs) == _jobs(first[1:] + more)
    queue.take_all()
    await wait_for(lambda: not feeder.in_burst, what="the end of the backlog")
    assert feeder.calms == 1 and len(queue.jobs) == 2


async def test_a_long_backlog_is_handed_out_a_chunk_at_a_time(parts: Any) -> None:
    feeder, queue, pressed = parts  # calm_jobs=2: at most 2 queued, topped up below 1
    pressed[0] = True
    rows = await store_rows([item(f"u{n}", f"k{n}") for n in range(5)] + [item("u0", "k0b")])
    await feeder.committed(rows)
    pressed[0] = False  # over, with 6 rows left from 5 users
    await wait_for(lambda: len(queue.jobs) == 2, what="the first chunk")
    await asyncio.sleep(0.1)
    assert queue.jobs == _jobs(rows[:2])  # oldest first, and no more while those wait
    # A new event meanwhile gets its own job at once.
    late = await store_rows([item("late", "z")])
    await feeder.committed(late)
    assert queue.jobs[2:] == _jobs(late)
    queue.take_all()
    await wait_for(lambda: len(queue.jobs) == 5, what="the second chunk")
    assert queue.jobs[3:] == _jobs(rows[2:4])
    queue.take_all()
    # u0's second row is still pending (nobody handles them here): a job for it comes with
    # the last chunk. The late row came after the calm began: it has its own job, and the
    # backlog ends without handing it out again (under steady traffic it would never end).
    await wait_for(lambda: len(queue.jobs) == 7, what="the last chunk")
    u0_again = (("messenger", "page1", "u0"), f"inbox:{rows[5][1]}")
    assert queue.jobs[5:] == [*_jobs(rows[4:5]), u0_again]  # in the order of their rows
    queue.take_all()
    await wait_for(lambda: not feeder.in_burst, what="the end of the backlog")
    assert feeder.calms == 1 and feeder.handed_out == 6 and len(queue.jobs) == 7


async def test_a_pressed_commit_while_the_backlog_ends_keeps_it_open(parts: Any) -> None:
    """The watch finds nothing left to hand out while a new burst's batch commits (its
    look-up is a database call): that batch's rows must not be left without a job."""
    feeder, queue, pressed = parts
    pressed[0] = True
    await feeder.committed(await store_rows([item("u1", "a")]))
    pressed[0] = False
    await wait_for(lambda: len(queue.jobs) == 1, what="the first row's job")
    queue.take_all()
    await InboxEvent.all().update(status="done")  # handled: the next look-up finds nothing
    late: list[Any] = []
    real = feeder._hand_out

    async def hand_out(after: int, upto: int, count: int) -> int:
        found = await real(after, upto, count)
        if not late:  # meanwhile, a burst again, and a batch commits
            pressed[0] = True
            late.extend(await store_rows([item("u2", "b")]))
            await feeder.committed(late)
            pressed[0] = False
        return found

    feeder._hand_out = hand_out  # type: ignore[method-assign]
    await wait_for(lambda: len(queue.jobs) == 2, what="a job for the late batch")
    assert queue.jobs[1:] == _jobs(late) and feeder.in_burst  # not ended without it
    queue.take_all()
    await wait_for(lambda: not feeder.in_burst, what="the end of the backlog")
    assert feeder.calms == 1


async def test_the_inbox_sweep_leaves_the_backlog_to_the_feeder(parts: Any) -> None:
    feeder, queue, pressed = parts
    old = await store_rows([item("crashed", "o1")])  # left by a crash, before the burst
    pressed[0] = True
    burst = await store_rows([item(f"u{n}", f"k{n}") for n in range(3)])
    await feeder.committed(burst)
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    await InboxEvent.all().update(received_at=long_ago)  # all of them "stale" by age
    inbox = InboxProcessor(
        queue=queue,  # type: ignore[arg-type]
        locks=MemoryLocks(),
        channels={},
        dispatch=_no_dispatch,
        backlog_from=lambda: feeder.backlog_from,
    )
    assert await inbox.recover_stale() == 1  # only the row from before the burst
    assert queue.jobs == [(("messenger", "page1", "crashed"), f"inbox:recover:{old[0][1]}")]
    await feeder.close()
    feeder._burst_from = None  # no backlog: the sweep takes every stale row again
    assert await inbox.recover_stale() == 4


async def _no_dispatch(event: Any, inbox_id: int) -> None:
    raise AssertionError("the sweep handles nothing itself")


# --- the whole app -------------------------------------------------------------------------


@pytest.fixture
async def app(
    aiohttp_client: Any, clean_db: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[MessengerApp]:
    async with FakeGraph() as fb:
        settings = make_settings(
            **graph_settings(fb), INGEST_PRIORITY_MAX_WAIT=0.3, INGEST_HANDLER_SHARE=0.5
        )
        async for value in start_app(aiohttp_client, settings, fb, "memory"):
            yield value


async def test_a_forced_burst_keeps_the_queue_at_one_job_and_handles_everything(
    app: MessengerApp,
) -> None:
    runtime = app.runtime
    assert runtime.consumer is not None and runtime.ingest is not None
    feeder = runtime.consumer.local_feeder
    assert feeder is not None
    writer = runtime.ingest.commit
    loop = asyncio.get_running_loop()
    writer._pressure_at = loop.time() + 3600  # a burst that lasts until the test ends it
    fb = app.fb
    queue = runtime.backends.queue
    most = 0

    async def watch() -> None:
        nonlocal most
        while True:
            most = max(most, queue.queued)
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    try:
        for wave in range(4):
            events = [fb.message(f"w{wave}u{n}", f"tin {n}") for n in range(15)]
            posts = [fb.deliver(app.url, fb.envelope(e)) for e in events]
            assert await asyncio.gather(*posts) == [[200]] * 15
        assert feeder.in_burst and feeder.drains >= 1
        assert most < 10  # the drain (and a reply being sent), never a job per event
        writer._pressure_at = float("-inf")  # the burst is over
        await wait_for(_handled(60), within=60, what="60 events handled")
    finally:
        watcher.cancel()
    rows = await InboxEvent.filter(channel="messenger")
    assert len(rows) == 60 and {(r.status, r.attempts) for r in rows} == {("done", 1)}
    await wait_for(lambda: len(fb.sent) >= 60, what="60 replies")
    assert not feeder.in_burst


def _handled(n: int) -> Callable[[], Any]:
    async def check() -> bool:
        return await InboxEvent.filter(status="done").count() >= n

    return check
