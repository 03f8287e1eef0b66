"""GroupCommit: concurrent webhook requests share one store call, in order per user.

The store and enqueue are in-memory fakes with the real contract (UNIQUE on channel +
dedupe key, ids in insert order), so batching, the in-flight bound, the per-user rule and the
failure paths are observed exactly, with no database and no clock: batches are held in
flight with an `asyncio.Event` and the loop is stepped with `sleep(0)`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
from collections.abc import Sequence

import pytest

from bot.contracts.inbox import InboxItem
from bot.pipeline.ingest.group_commit import GroupCommit, NewRows, Row, UserKey


def item(user: str, key: str, account: str = "oa1") -> InboxItem:
    return InboxItem(
        account_id=account,
        user_id=user,
        dedupe_key=key,
        event_name="user_send_text",
        body={"message": {"msg_id": key, "text": "Chào shop"}},
    )


class FakeInbox:
    """The inbox table and the enqueue, in memory, recording what each call saw."""

    def __init__(self, *, rng: random.Random | None = None) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.calls: list[list[Row]] = []  # every store call, in the order they started
        self.queued: list[NewRows] = []  # every `after` call
        self.gate: asyncio.Event | None = None  # when set up, store calls wait for it
        self.after_gate: asyncio.Event | None = None
        self.fail_on: str | None = None  # a store call holding this key raises `error`
        self.error = RuntimeError("disk full")
        self.after_error: Exception | None = None
        self.inflight = 0
        self.max_inflight = 0
        self.inflight_users: set[UserKey] = set()
        self.overlaps: list[set[UserKey]] = []  # users seen in two store calls at once
        self._rng = rng

    def keys(self, call: int) -> list[str]:
        return [i.dedupe_key for _, i in self.calls[call]]

    async def store(self, rows: Sequence[Row]) -> NewRows:
        users = {(channel, i.account_id, i.user_id) for channel, i in rows}
        if users & self.inflight_users:
            self.overlaps.append(users & self.inflight_users)
        self.inflight_users |= users
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        self.calls.append(list(rows))
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self._rng is not None:
                for _ in range(self._rng.randint(0, 6)):
                    await asyncio.sleep(0)
            if self.fail_on in {i.dedupe_key for _, i in rows}:
                raise self.error
            new: NewRows = []
            for row in rows:
                key = (row[0], row[1].dedupe_key)
                if key not in self.ids:  # a key repeated in one call is new once
                    self.ids[key] = len(self.ids) + 1
                    new.append((row, self.ids[key]))
            return new
        finally:
            self.inflight_users -= users
            self.inflight -= 1

    async def after(self, new: NewRows) -> None:
        self.queued.append(list(new))
        if self.after_gate is not None:
            await self.after_gate.wait()
        if self.after_error is not None:
            raise self.after_error


async def settle() -> None:
    """Let every ready task run as far as it can (no I/O here, so a few steps suffice)."""
    for _ in range(20):
        await asyncio.sleep(0)


def submit(writer: GroupCommit, user: str, *keys: str) -> asyncio.Task[int]:
    return asyncio.create_task(writer.submit("zalo", [item(user, k) for k in keys]))


async def test_idle_submit_is_written_at_once_and_returns_its_new_items() -> None:
    inbox = FakeInbox()
    writer = GroupCommit(inbox.store, inbox.after)
    assert await writer.submit("zalo", [item("u1", "a"), item("u1", "b")]) == 2
    assert inbox.keys(0) == ["a", "b"]
    assert [(i.dedupe_key, row_id) for (_, i), row_id in inbox.queued[0]] == [("a", 1), ("b", 2)]
    # "b" is a platform retry: stored already, so it is not new and not queued again.
    assert await writer.submit("zalo", [item("u1", "b"), item("u2", "c")]) == 1
    assert [i.dedupe_key for (_, i), _ in inbox.queued[1]] == ["c"]
    assert (writer.flushes, writer.rows) == (2, 4)


async def test_requests_arriving_during_a_write_share_the_next_store_call() -> None:
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=1)
    first = submit(writer, "u1", "a")
    await settle()
    later = [submit(writer, f"u{n}", f"k{n}") for n in range(2, 6)]
    await settle()
    assert len(inbox.calls) == 1  # the others wait for the one slot, they are not written
    inbox.gate.set()
    assert await asyncio.gather(first, *later) == [1] * 5
    assert inbox.keys(1) == ["k2", "k3", "k4", "k5"]
    assert len(inbox.calls) == 2
    assert [len(q) for q in inbox.queued] == [1, 4]  # one enqueue per batch
    assert (writer.flushes, writer.rows) == (2, 5)


async def test_each_request_gets_the_count_of_its_own_new_items() -> None:
    """Retries of one event in one batch: exactly one of them reports it as new."""
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=1)
    hold = submit(writer, "u1", "held")
    await settle()
    x = submit(writer, "u9", "k1", "k2")
    y = submit(writer, "u9", "k2", "k3")
    z = submit(writer, "u9", "k1")
    await settle()
    inbox.gate.set()
    assert await asyncio.gather(hold, x, y, z) == [1, 2, 1, 0]
    assert inbox.keys(1) == ["k1", "k2", "k2", "k3", "k1"]  # one batch, same user is fine


async def test_max_rows_bounds_one_store_call() -> None:
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_rows=3, max_inflight=1)
    tasks = [submit(writer, "u0", "held")]
    await settle()
    tasks += [submit(writer, f"u{n}", f"k{n}") for n in range(1, 8)]
    tasks.append(submit(writer, "u8", "k8a", "k8b"))
    await settle()
    inbox.gate.set()
    assert await asyncio.gather(*tasks) == [1] * 8 + [2]
    assert max(len(call) for call in inbox.calls) == 3
    assert sum(len(call) for call in inbox.calls) == 10
    assert len(inbox.ids) == 10


async def test_a_request_larger_than_max_rows_is_written_alone_not_stuck() -> None:
    inbox = FakeInbox()
    writer = GroupCommit(inbox.store, inbox.after, max_rows=2)
    assert await writer.submit("zalo", [item("u1", f"k{n}") for n in range(5)]) == 5
    assert [len(call) for call in inbox.calls] == [5]


async def test_several_batches_in_flight_up_to_max_inflight() -> None:
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=2)
    tasks = []
    for n in range(1, 5):
        tasks.append(submit(writer, f"u{n}", f"k{n}"))
        await settle()
    assert inbox.inflight == 2
    assert [inbox.keys(0), inbox.keys(1)] == [["k1"], ["k2"]]
    assert len(inbox.calls) == 2  # u3 and u4 wait for a free slot
    inbox.gate.set()
    assert await asyncio.gather(*tasks) == [1] * 4
    assert inbox.max_inflight == 2
    assert inbox.keys(2) == ["k3", "k4"]  # they went together into the first free slot


async def test_a_further_batch_in_flight_waits_for_min_rows() -> None:
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=2, min_rows=3)
    first = submit(writer, "u1", "a")  # idle: written at once, however small
    await settle()
    few = [submit(writer, "u2", "b"), submit(writer, "u3", "c")]
    await settle()
    assert len(inbox.calls) == 1  # two rows waiting: not worth a second statement yet
    enough = submit(writer, "u4", "d", "e")
    await settle()
    assert len(inbox.calls) == 2 and inbox.keys(1) == ["b", "c", "d", "e"]  # 4 >= 3 rows
    assert inbox.inflight == 2
    late = submit(writer, "u5", "f")
    await settle()
    assert len(inbox.calls) == 2  # both slots busy
    inbox.gate.set()
    assert await asyncio.gather(first, *few, enough, late) == [1, 1, 1, 2, 1]
    assert inbox.keys(2) == ["f"]  # once a slot is free and nothing is in flight: at once
    assert writer.rows == 6


async def test_rows_below_min_rows_go_as_soon_as_the_batch_in_flight_is_done() -> None:
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=2, min_rows=8)
    first = submit(writer, "u1", "a")
    await settle()
    second = submit(writer, "u2", "b")
    await settle()
    assert len(inbox.calls) == 1
    inbox.gate.set()
    assert await asyncio.gather(first, second) == [1, 1]
    assert [inbox.keys(0), inbox.keys(1)] == [["a"], ["b"]]
    with pytest.raises(ValueError, match="min_rows"):
        GroupCommit(inbox.store, inbox.after, min_rows=0)


async def test_a_users_next_request_waits_for_the_batch_holding_their_last() -> None:
    """Two batches in flight may commit in any order, so one user is never in both."""
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=4)
    a = submit(writer, "u1", "a")
    await settle()
    b = submit(writer, "u1", "b")
    c = submit(writer, "u2", "c")
    await settle()
    assert [inbox.keys(n) for n in range(len(inbox.calls))] == [["a"], ["c"]]
    inbox.gate.set()
    assert await asyncio.gather(a, b, c) == [1, 1, 1]
    assert inbox.keys(2) == ["b"]
    assert inbox.overlaps == []


async def test_a_waiting_request_is_not_overtaken_by_a_later_one_of_its_users() -> None:
    """X (users 1 and 2) waits for user 1; a later request of user 2 must wait behind X."""
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=4)
    a = submit(writer, "u1", "a")
    await settle()
    x = asyncio.create_task(writer.submit("zalo", [item("u1", "x1"), item("u2", "x2")]))
    y = submit(writer, "u2", "y")
    await settle()
    assert len(inbox.calls) == 1  # free slots, but y would overtake x for user 2
    inbox.gate.set()
    assert await asyncio.gather(a, x, y) == [1, 2, 1]
    order = [i.dedupe_key for call in inbox.calls for _, i in call]
    assert order.index("x2") < order.index("y")
    assert inbox.overlaps == []


async def test_random_load_keeps_each_users_rows_in_order_and_in_one_batch_at_a_time() -> None:
    rng = random.Random(20261122)
    inbox = FakeInbox(rng=rng)
    writer = GroupCommit(inbox.store, inbox.after, max_rows=6, max_inflight=4)
    sent: dict[str, list[str]] = {}
    tasks = []
    for n in range(300):
        user = f"u{rng.randrange(12)}"
        keys = [f"{user}:{n}:{k}" for k in range(rng.randint(1, 3))]
        sent.setdefault(user, []).extend(keys)
        tasks.append(submit(writer, user, *keys))
        for _ in range(rng.randint(0, 2)):
            await asyncio.sleep(0)
    assert sum(await asyncio.gather(*tasks)) == sum(len(keys) for keys in sent.values())
    assert inbox.overlaps == []
    committed: dict[str, list[str]] = {}
    for call in inbox.calls:
        for _, i in call:
            committed.setdefault(i.user_id, []).append(i.dedupe_key)
    assert committed == sent  # every user's rows reach the store in the order they came
    assert inbox.max_inflight > 1  # the run did exercise parallel batches
    assert writer.flushes < len(tasks)  # and batching


async def test_a_failed_store_fails_every_request_of_its_batch_and_later_ones_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    inbox.fail_on = "boom"
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=1)
    ok = submit(writer, "u1", "ok")
    await settle()
    bad = submit(writer, "u2", "boom")
    same_batch = submit(writer, "u3", "c")
    await settle()
    inbox.gate.set()
    results = await asyncio.gather(ok, bad, same_batch, return_exceptions=True)
    assert results == [1, inbox.error, inbox.error]
    assert inbox.keys(1) == ["boom", "c"]
    assert len(inbox.queued) == 1  # nothing of the failed batch was queued
    # The platform retries; the failed batch's users are free again.
    assert await writer.submit("zalo", [item("u2", "d"), item("u3", "c")]) == 2
    assert (writer.flushes, writer.rows) == (2, 3)
    assert any("group commit" in r.getMessage() for r in caplog.records)


async def test_requests_are_answered_on_commit_and_a_failed_enqueue_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The stored rows are the durable queue: a slow or failing enqueue does not hold or
    fail the requests (the inbox sweep queues those rows later)."""
    inbox = FakeInbox()
    inbox.after_gate = asyncio.Event()
    inbox.after_error = RuntimeError("redis down")
    writer = GroupCommit(inbox.store, inbox.after)
    assert await writer.submit("zalo", [item("u1", "a")]) == 1  # answered, enqueue held
    assert len(inbox.queued) == 1
    closing = asyncio.create_task(writer.close())
    await settle()
    assert not closing.done()  # close waits for the enqueue too
    inbox.after_gate.set()
    await closing
    assert any("not queued" in r.getMessage() for r in caplog.records)
    assert await writer.submit("zalo", [item("u1", "b")]) == 1
    assert writer.flushes == 2


async def test_a_cancelled_request_does_not_stop_its_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=1)
    in_flight = submit(writer, "u1", "a")
    await settle()
    waiting = submit(writer, "u2", "b")
    neighbour = submit(writer, "u3", "c")
    await settle()
    in_flight.cancel()  # clients gone mid-request
    waiting.cancel()
    await settle()
    assert in_flight.cancelled() and waiting.cancelled()
    inbox.gate.set()
    assert await neighbour == 1
    await writer.close()
    assert set(inbox.ids) == {("zalo", "a"), ("zalo", "b"), ("zalo", "c")}
    # A cancelled request in a failing batch leaves no unretrieved exception behind.
    inbox.gate = asyncio.Event()
    inbox.fail_on = "boom"
    gone = submit(writer, "u4", "boom")
    await settle()
    gone.cancel()
    await settle()
    inbox.gate.set()
    await writer.close()
    del gone
    gc.collect()
    await settle()
    assert not [r for r in caplog.records if r.name == "asyncio"]
    assert await writer.submit("zalo", [item("u4", "d")]) == 1


async def test_close_waits_for_the_batches_in_flight() -> None:
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after)
    request = submit(writer, "u1", "a")
    await settle()
    closing = asyncio.create_task(writer.close())
    await settle()
    assert not closing.done()
    inbox.gate.set()
    await closing
    assert request.done() and request.result() == 1
    assert len(inbox.queued) == 1


async def test_busy_means_requests_queue_up_not_mere_activity() -> None:
    """In-process jobs yield to ingest only under pressure, not to a normal trickle."""
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=1, crowd=4)
    assert not writer.busy()
    trickle = submit(writer, "u1", "a")
    await settle()
    assert not writer.busy()  # one request being written is no pressure
    queued = submit(writer, "u2", "b")
    await settle()
    assert writer.busy()  # a request waits behind the flush
    inbox.gate.set()
    await asyncio.gather(trickle, queued)
    assert writer.busy(hold=3600)  # that burst was moments ago
    assert not writer.busy(hold=0.0)  # and it is over now

    calm = GroupCommit(inbox.store, inbox.after, max_inflight=4, crowd=4)
    for n in range(3):  # one at a time, each written alone: a trickle
        await submit(calm, f"t{n}", f"t{n}")
    assert not calm.busy(hold=3600)

    inbox.gate = asyncio.Event()
    crowded = GroupCommit(inbox.store, inbox.after, max_inflight=1, crowd=4)
    crowd = [submit(crowded, "u0", "held")]
    await settle()
    crowd += [submit(crowded, f"u{n}", f"c{n}") for n in range(1, 5)]
    await settle()
    inbox.gate.set()
    await asyncio.gather(*crowd)
    assert inbox.keys(-1) == ["c1", "c2", "c3", "c4"]
    assert crowded.busy(hold=3600)  # a crowded batch counts as pressure for `hold`
    assert not crowded.busy(hold=0.0)


def test_bounds_must_be_positive() -> None:
    inbox = FakeInbox()
    with pytest.raises(ValueError):
        GroupCommit(inbox.store, inbox.after, max_rows=0)
    with pytest.raises(ValueError):
        GroupCommit(inbox.store, inbox.after, max_inflight=0)


async def test_a_slow_enqueue_does_not_hold_the_write_slot() -> None:
    """The next batch is written while the previous one's jobs are still being queued (one
    write at a time here): the enqueue is a round trip of its own, not part of the write."""
    inbox = FakeInbox()
    inbox.after_gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=1)
    first = submit(writer, "u1", "a")
    await settle()
    assert first.done() and len(inbox.queued) == 1  # answered; its enqueue is still waiting
    second = submit(writer, "u2", "b")
    await settle()
    assert second.done() and inbox.keys(1) == ["b"]
    inbox.after_gate.set()
    await writer.close()
    assert [len(q) for q in inbox.queued] == [1, 1]


async def test_batches_committed_during_an_enqueue_share_the_next_one() -> None:
    """One enqueue call at a time: what commits while it is out is queued in one more call,
    in commit order, and close waits for it."""
    inbox = FakeInbox()
    inbox.after_gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=1)
    first = submit(writer, "u1", "a")
    await settle()
    assert first.done() and len(inbox.queued) == 1  # its enqueue is out (held at the gate)
    for user, key in (("u2", "b"), ("u3", "c"), ("u4", "d")):
        assert await writer.submit("zalo", [item(user, key)]) == 1  # answered on commit
    assert writer.flushes == 4 and len(inbox.queued) == 1
    inbox.after_gate.set()
    await writer.close()
    assert [[row[1].dedupe_key for row, _ in q] for q in inbox.queued] == [
        ["a"],
        ["b", "c", "d"],
    ]
