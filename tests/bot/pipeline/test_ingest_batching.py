"""Ingest through the group commit: concurrent webhooks share writes, nothing is lost,
duplicated or reordered.

The burst tests run the whole app on loopback (signed Messenger POSTs from the fake Graph,
the messenger tests' recording router, replies observed at the fake), on the in-process queue
and again on Redis with a consumer in the test. `store_rows` and `enqueue_new` are also
checked on their own: the batch INSERT across channels and one job per user per batch.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest

from bot.backends.memory import InProcessQueue
from bot.contracts.inbox import InboxItem
from bot.core.events import MessageEvent
from bot.models import InboxEvent, OutboxMessage
from bot.pipeline.inbox import PROCESS_JOB, enqueue_new
from bot.settings import Settings
from tests.bot.channels.messenger.conftest import (
    MessengerApp,
    graph_settings,
    start_app,
    wait_for,
)
from tests.fakes.graph_api import FakeGraph
from tests.helpers import store_rows

# --- the whole app -------------------------------------------------------------------------


@pytest.fixture
async def app(
    aiohttp_client: Any,
    clean_db: str,
    make_settings: Callable[..., Settings],
    backend: str,
    redis_url: str,
) -> AsyncIterator[MessengerApp]:
    """The app with a configured Page at the fake Graph (as in the messenger tests)."""
    async with FakeGraph() as fb:
        redis = redis_url if backend == "redis" else ""
        settings = make_settings(**graph_settings(fb), REDIS_URL=redis)
        async for value in start_app(aiohttp_client, settings, fb, backend):
            yield value


async def settled(expected_rows: int) -> bool:
    """All inbox rows there and processed, and every reply sent."""
    if await InboxEvent.filter(channel="messenger").count() < expected_rows:
        return False
    if await InboxEvent.filter(status__in=("pending", "processing")).exists():
        return False
    return not await OutboxMessage.filter(status="pending").exists()


async def test_a_burst_is_stored_once_processed_once_in_fewer_writes(app: MessengerApp) -> None:
    fb = app.fb
    distinct = [fb.message(f"psid{n}", f"tin {n}") for n in range(40)]
    retried = fb.message("psid_dup", "chào shop", mid="m_dup")
    posts = [fb.deliver(app.url, fb.envelope(item)) for item in distinct]
    posts += [fb.deliver(app.url, fb.envelope(retried)) for _ in range(5)]
    statuses = await asyncio.gather(*posts)
    assert statuses == [[200]] * 45
    await wait_for(lambda: settled(41), within=30, what="41 events processed and answered")
    await wait_for(lambda: len(fb.sent) >= 41, what="41 replies at the fake")

    rows = await InboxEvent.filter(channel="messenger").order_by("id")
    mids = [item["message"]["mid"] for item in [*distinct, retried]]
    assert sorted(r.dedupe_key for r in rows) == sorted(f"message:{mid}" for mid in mids)
    assert {(r.status, r.attempts) for r in rows} == {("done", 1)}  # once, never retried
    handled = Counter(e.event_id for e in app.recorder.of(MessageEvent))
    assert handled == Counter(mids)
    for n in range(40):
        assert fb.texts(f"psid{n}") == [f"echo: tin {n}"]
    assert fb.texts("psid_dup") == ["echo: chào shop"]
    assert len(fb.sent) == 41

    assert app.runtime.ingest is not None
    writer = app.runtime.ingest.commit
    assert writer.rows == 45  # every request's item went through the group commit
    assert writer.flushes < 45  # and requests shared writes
    ready = await (await app.client.get("/readyz")).json()
    assert ready["ingest"] == {
        "batches": writer.flushes,
        "rows": 45,
        "in_flight": writer.max_inflight,
        "min_rows": 8,  # INGEST_BATCH_MIN_ROWS's default
    }


async def test_a_users_concurrent_events_are_processed_in_id_order(app: MessengerApp) -> None:
    fb = app.fb
    users = [f"psid{n}" for n in range(6)]
    posts = [
        fb.deliver(app.url, fb.envelope(fb.message(user, f"{user} tin {k}")))
        for k in range(3)
        for user in users
    ]
    assert await asyncio.gather(*posts) == [[200]] * 18
    await wait_for(lambda: settled(18), within=30, what="18 events processed and answered")
    await wait_for(lambda: len(fb.sent) >= 18, what="18 replies at the fake")
    for user in users:
        rows = await InboxEvent.filter(user_id=user).order_by("id")
        stored = [r.body["item"]["message"]["text"] for r in rows]
        assert sorted(stored) == [f"{user} tin {k}" for k in range(3)]
        handled = [e.text for e in app.recorder.of(MessageEvent) if e.user_id == user]
        assert handled == stored  # the handlers saw them in the order they were stored
        assert fb.texts(user) == [f"echo: {text}" for text in stored]


# --- the pieces ----------------------------------------------------------------------------


def _item(user: str, key: str, account: str = "page1") -> InboxItem:
    return InboxItem(
        account_id=account,
        user_id=user,
        dedupe_key=key,
        event_name="message",
        body={"item": {"message": {"mid": key, "text": "Xin chào"}}},
    )


async def test_store_rows_writes_several_channels_in_one_call(db: str) -> None:
    first = [("zalo", _item("u1", "k1")), ("messenger", _item("u1", "k1"))]
    retry = ("zalo", _item("u1", "k1"))
    rows = [*first, ("zalo", _item("u2", "k2")), retry, ("messenger", _item("u3", "k3"))]
    new = await store_rows(rows)
    assert [row for row, _ in new] == [rows[0], rows[1], rows[2], rows[4]]  # same objects
    assert all(row is not retry for row, _ in new)  # a key repeated in the call is new once
    for (channel, item), row_id in new:
        stored = await InboxEvent.get(id=row_id)
        assert (stored.channel, stored.dedupe_key, stored.user_id) == (
            channel,
            item.dedupe_key,
            item.user_id,
        )
        assert stored.body == item.body and stored.status == "pending"
    assert await store_rows([retry, ("messenger", _item("u3", "k3"))]) == []
    assert await store_rows([]) == []
    assert await InboxEvent.all().count() == 4


class RecordingQueue(InProcessQueue):
    """The real in-process queue, noting each `enqueue_many` call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[tuple[tuple[Any, ...], str]]] = []

    async def enqueue_many(self, name: str, jobs: Sequence[tuple[tuple[Any, ...], str]]) -> int:
        self.calls.append(list(jobs))
        return await super().enqueue_many(name, jobs)


async def test_enqueue_new_queues_one_job_per_user_named_by_its_first_row() -> None:
    queue = RecordingQueue()

    async def process(ctx: dict[str, Any], *user: str) -> None:
        return None

    queue.register(PROCESS_JOB, process)
    a1, b1, a2, c1 = (
        (("zalo", _item("a", "1")), 11),
        (("zalo", _item("b", "2")), 12),
        (("zalo", _item("a", "3")), 13),
        (("messenger", _item("a", "4")), 14),  # same PSID text, other channel: other user
    )
    await enqueue_new(queue, [a1, b1, a2, c1])
    assert queue.calls == [
        [
            (("zalo", "page1", "a"), "inbox:11"),
            (("zalo", "page1", "b"), "inbox:12"),
            (("messenger", "page1", "a"), "inbox:14"),
        ]
    ]
    assert queue.queued == 3
    await enqueue_new(queue, [])  # an all-duplicate batch queues nothing
    assert len(queue.calls) == 1
    await queue.close(drain=False)
