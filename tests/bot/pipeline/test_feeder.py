"""PostgreSQL + Redis: the webhook's INSERT notifies, the workers' feeder queues the jobs.

On PostgreSQL only (NOTIFY); the whole path with Redis and the handlers also runs in the
messenger and ingest tests on the Redis backend. Here: the payload is the range of new ids
and nothing is sent for duplicates; the feeder queues one job per user with the first row's
id, catches up on rows stored while nobody listened, and listens again after its connection
is killed; during a burst it queues one drain job instead of a job per user, and every
pending user once the burst is over.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import pytest

from bot.pipeline.feeder import InboxFeeder, notify_channel
from bot.pipeline.inbox import DRAIN_JOB, PROCESS_JOB
from bot.pipeline.ingest.postgres import PostgresInboxWriter
from bot.pipeline.priority import HandlerTurns
from tests.helpers import messenger_row as item
from tests.helpers import wait_for

Job = tuple[tuple[Any, ...], str]


@pytest.fixture
async def pg(db: str, is_postgres: bool) -> str:
    if not is_postgres:
        pytest.skip("NOTIFY needs PostgreSQL (TEST_DATABASE_URL)")
    return db


class RecordingQueue:
    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.drains: list[tuple[int, str]] = []  # (first id, job id) of each drain queued
        self.running: set[str] = set()  # drain job ids queued or running
        self.resumed = 0  # jobs queued by a catch-up

    async def enqueue_many(self, name: str, jobs: Sequence[Job]) -> int:
        assert name == PROCESS_JOB
        # The catch-up on (re)connecting names its jobs `inbox:<row>:resume<ns>`: a dead
        # worker's job may still hold `inbox:<row>`. Recorded without the suffix.
        self.jobs += [(args, re.sub(r":resume\d+$", "", job_id)) for args, job_id in jobs]
        self.resumed += sum(":resume" in job_id for _, job_id in jobs)
        return len(jobs)

    async def enqueue(self, name: str, *args: Any, job_id: str | None = None) -> bool:
        assert name == DRAIN_JOB and job_id is not None
        if job_id in self.running:
            return False  # like the real queues: the id is taken while the job exists
        self.running.add(job_id)
        self.drains.append((args[0], job_id))
        return True

    def drains_ended(self) -> None:
        self.running.clear()


@pytest.fixture
async def store() -> AsyncIterator[PostgresInboxWriter]:
    writer = PostgresInboxWriter(notify_channel("test-feeder:"))
    yield writer
    await writer.close()


async def test_the_insert_notifies_the_range_of_new_ids_once_per_batch(
    pg: str, store: PostgresInboxWriter
) -> None:
    heard: list[str] = []
    listener = await asyncpg.connect(pg)
    try:
        await listener.add_listener(store.notify_channel or "", lambda *a: heard.append(a[3]))
        new = await store.store([item("u1", "a"), item("u2", "b"), item("u1", "c")])
        ids = [row_id for _, row_id in new]
        await wait_for(lambda: len(heard) == 1, what="one notification")
        assert heard == [f"{min(ids)} {max(ids)}"]
        assert await store.store([item("u1", "a"), item("u2", "b")]) == []  # only duplicates
        await asyncio.sleep(0.3)
        assert len(heard) == 1  # nothing stored, nothing sent
    finally:
        await listener.close()


async def test_the_feeder_queues_pending_users_then_what_it_hears(
    pg: str, store: PostgresInboxWriter
) -> None:
    quiet = PostgresInboxWriter()  # rows stored before any feeder listened
    before = await quiet.store([item("u1", "old1"), item("u1", "old2"), item("u9", "old3")])
    await quiet.close()
    queue = RecordingQueue()
    feeder = InboxFeeder(queue, store.notify_channel or "")  # type: ignore[arg-type]
    await feeder.start()
    try:
        await asyncio.wait_for(feeder.wait_listening(), 10)
        first = {row[1].user_id: row_id for row, row_id in reversed(before)}
        assert sorted(queue.jobs) == sorted(
            (("messenger", "page1", user), f"inbox:{row_id}") for user, row_id in first.items()
        )
        queue.jobs.clear()
        admin = await asyncpg.connect(pg)
        try:  # a stray or malformed notification on the channel is ignored, not fatal
            for payload in ("x y", "", "1 2 3"):
                await admin.execute("SELECT pg_notify($1, $2)", store.notify_channel, payload)
        finally:
            await admin.close()
        new = await store.store([item("u2", "n1"), item("u3", "n2"), item("u2", "n3")])
        await wait_for(lambda: len(queue.jobs) == 2, what="jobs for u2 and u3")
        ids = {row[1].dedupe_key: row_id for row, row_id in new}
        assert sorted(queue.jobs) == [
            (("messenger", "page1", "u2"), f"inbox:{ids['message:n1']}"),
            (("messenger", "page1", "u3"), f"inbox:{ids['message:n2']}"),
        ]
    finally:
        await feeder.close()


async def test_the_feeder_listens_again_after_its_connection_is_killed(
    pg: str, store: PostgresInboxWriter
) -> None:
    queue = RecordingQueue()
    feeder = InboxFeeder(queue, store.notify_channel or "")  # type: ignore[arg-type]
    await feeder.start()
    admin = await asyncpg.connect(pg)
    try:
        await asyncio.wait_for(feeder.wait_listening(), 10)
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE query LIKE 'LISTEN %' AND datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        assert killed >= 1
        # Stored while the feeder may not be listening: the catch-up or the NOTIFY queues it.
        new = await store.store([item("u7", "after")])
        await wait_for(
            lambda: (("messenger", "page1", "u7"), f"inbox:{new[0][1]}") in queue.jobs,
            within=15,
            what="the job of the row stored across the reconnect",
        )
        await asyncio.wait_for(feeder.wait_listening(), 10)
        later = await store.store([item("u8", "later")])
        await wait_for(
            lambda: (("messenger", "page1", "u8"), f"inbox:{later[0][1]}") in queue.jobs,
            what="the job of a row stored after listening again",
        )
    finally:
        await admin.close()
        await feeder.close()


async def test_during_a_burst_one_drain_walks_the_rows_and_calm_queues_every_user(
    pg: str, store: PostgresInboxWriter
) -> None:
    pressed = [True]  # `serve`'s mark, as the worker's gate reads it

    async def is_pressed() -> bool:
        return pressed[0]

    queue = RecordingQueue()
    turns = HandlerTurns(is_pressed, max_wait=30)
    feeder = InboxFeeder(queue, store.notify_channel or "", pressed=turns.pressed)  # type: ignore[arg-type]
    await feeder.start()
    try:
        await asyncio.wait_for(feeder.wait_listening(), 10)
        first = await store.store([item("u2", "b1"), item("u3", "b2")])
        await wait_for(lambda: queue.drains, what="a drain job")
        [(start, _)] = queue.drains
        assert start == min(row_id for _, row_id in first)  # it walks from the first new row
        more = await store.store([item("u4", "b3")])
        await asyncio.sleep(0.3)
        assert len(queue.drains) == 1 and feeder.drains == 1  # the one drain covers these too
        # That drain ends (its deadline, say) with rows left: the next one, queued with no
        # new row arriving, starts from the burst's first row again, not from the latest.
        queue.drains_ended()
        await wait_for(lambda: len(queue.drains) == 2, what="the next drain")
        assert queue.drains[1][0] == start
        assert queue.jobs == []  # no job per user while `serve` is under pressure
        pressed[0] = False  # the burst is over: every pending user at once, with no new row
        await wait_for(lambda: len(queue.jobs) == 3, what="a job per pending user")
        ids = {row[1].user_id: row_id for row, row_id in first + more}
        assert sorted(queue.jobs) == sorted(
            (("messenger", "page1", user), f"inbox:{row_id}") for user, row_id in ids.items()
        )
    finally:
        await feeder.close()
