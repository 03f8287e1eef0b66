"""Acks before handlers: handler jobs take turns while webhooks are under pressure (bounded
wait, one at a time, a bounded share of the time); across processes `serve` marks the
pressure and a worker's inbox jobs wait on the mark; the runtime wires each side where it
belongs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import pairwise

import pytest

from bot.backends.memory import InProcessQueue
from bot.backends.memory.kv import MemoryKeyValue
from bot.pipeline.ingest.group_commit import GroupCommit
from bot.pipeline.modes import Mode, build_consumer, build_ingest
from bot.pipeline.priority import POLL, PRESSURE_KEY, HandlerTurns, PressureGate, PressureMark
from bot.runtime import Runtime
from bot.settings import Settings
from tests.bot.pipeline.test_group_commit import FakeInbox, settle, submit
from tests.helpers import switched_turns, wait_for


async def test_requests_queueing_for_a_write_leave_one_mark_per_moment() -> None:
    kv = MemoryKeyValue()
    mark = PressureMark(kv)
    inbox = FakeInbox()
    inbox.gate = asyncio.Event()
    writer = GroupCommit(inbox.store, inbox.after, max_inflight=1)
    writer.on_pressure = mark
    first = submit(writer, "u1", "a")
    await settle()
    assert await kv.get(PRESSURE_KEY) is None  # one request being written: no pressure
    queued = [submit(writer, f"u{n}", f"k{n}") for n in range(2, 6)]  # these must wait
    await wait_for(lambda: mark.marks == 1, what="the pressure mark")
    assert await kv.get(PRESSURE_KEY) == "1"
    assert 0 < (await kv.ttl(PRESSURE_KEY) or 0) <= 0.5  # short-lived: a burst renews it
    assert mark.marks == 1  # not one Redis call per queued request
    inbox.gate.set()
    await asyncio.gather(first, *queued)
    await writer.close()


async def test_without_pressure_jobs_run_at_once_and_side_by_side() -> None:
    turns = switched_turns([False], max_wait=30)
    log: list[str] = []
    both = asyncio.Event()

    async def run(name: str) -> None:
        async with turns.turn():
            log.append(name)
            if len(log) == 2:
                both.set()
            await asyncio.wait_for(both.wait(), 5)  # each waits for the other: concurrent

    await asyncio.wait_for(asyncio.gather(run("a"), run("b")), 5)
    assert sorted(log) == ["a", "b"] and turns.held == 0


async def test_a_job_waits_while_pressed_and_goes_when_the_pressure_ends() -> None:
    pressed = [True]
    turns = switched_turns(pressed, max_wait=30)
    log: list[str] = []
    free = asyncio.Event()
    free.set()
    waiting = asyncio.create_task(job(turns, log, "burst", free))
    await asyncio.sleep(0.1)
    assert log == [] and not waiting.done()  # the webhooks go first
    pressed[0] = False
    await asyncio.wait_for(waiting, 5)
    assert log == ["burst starts", "burst ends"] and turns.held == 1


async def test_zero_max_wait_turns_it_off() -> None:
    turns = switched_turns([True], max_wait=0)
    log: list[str] = []
    free = asyncio.Event()
    free.set()
    await asyncio.wait_for(job(turns, log, "a", free), 1)
    assert log == ["a starts", "a ends"] and turns.held == 0


def test_the_rest_after_a_job_keeps_handlers_to_their_share_and_never_exceeds_max_wait() -> None:
    turns = switched_turns([True], max_wait=2.0, share=0.2)
    assert turns.rest(0.1) == pytest.approx(0.4)  # busy 0.1 s of every 0.5 s
    assert turns.rest(1.0) == 2.0  # a long job: capped by the max wait
    assert switched_turns([True], max_wait=2.0, share=1.0).rest(0.5) == 0  # 1: no rest at all
    with pytest.raises(ValueError):
        switched_turns([True], max_wait=2.0, share=0)


async def test_under_a_long_burst_the_next_job_starts_only_after_the_rest() -> None:
    turns = switched_turns([True], max_wait=0.05, share=0.25)  # waits are past after 0.05 s
    loop = asyncio.get_running_loop()
    spans: list[tuple[float, float]] = []

    async def run() -> None:
        async with turns.turn():
            start = loop.time()
            await asyncio.sleep(0.01)
            spans.append((start, loop.time()))

    await asyncio.wait_for(asyncio.gather(run(), run(), run()), 5)
    assert turns.held == 3
    for (_, end), (start, _) in pairwise(spans):
        assert start >= end  # one at a time
        # ... and after a rest of 3 x the job's own time (share 0.25): sleeps only run long.
        assert start - end >= turns.rest(0.01) * 0.9


async def job(gate: HandlerTurns, log: list[str], name: str, hold: asyncio.Event) -> None:
    async with gate.turn():
        log.append(f"{name} starts")
        await hold.wait()
        log.append(f"{name} ends")


async def test_a_job_waits_while_the_mark_is_there_and_no_longer() -> None:
    kv = MemoryKeyValue()
    gate = PressureGate(kv, max_wait=30)
    log: list[str] = []
    free = asyncio.Event()
    free.set()
    await job(gate, log, "calm", free)  # no mark: straight through
    assert gate.held == 0 and log == ["calm starts", "calm ends"]
    await kv.set(PRESSURE_KEY, "1", ttl=30)
    await asyncio.sleep(POLL)  # the gate reads the mark at most once per POLL
    waiting = asyncio.create_task(job(gate, log, "burst", free))
    await asyncio.sleep(0.2)
    assert not waiting.done() and len(log) == 2  # held back while `serve` is busy
    await kv.delete(PRESSURE_KEY)
    await asyncio.wait_for(waiting, 5)  # goes as soon as the mark is gone
    assert gate.held == 1 and log[2:] == ["burst starts", "burst ends"]


async def test_under_pressure_jobs_run_one_at_a_time_and_never_wait_past_the_setting() -> None:
    kv = MemoryKeyValue()
    await kv.set(PRESSURE_KEY, "1", ttl=60)  # a burst that does not end
    gate = PressureGate(kv, max_wait=0.3)
    log: list[str] = []
    first_done = asyncio.Event()
    free = asyncio.Event()
    free.set()
    first = asyncio.create_task(job(gate, log, "a", first_done))
    second = asyncio.create_task(job(gate, log, "b", free))
    await wait_for(lambda: log == ["a starts"], what="the first job past its wait")
    await asyncio.sleep(0.5)  # past b's own deadline: still behind a, one at a time
    assert log == ["a starts"]
    first_done.set()
    await asyncio.wait_for(asyncio.gather(first, second), 5)  # work never starves
    assert log == ["a starts", "a ends", "b starts", "b ends"] and gate.held == 2
    off = PressureGate(kv, max_wait=0)
    await asyncio.wait_for(job(off, log, "c", free), 1)  # 0 turns it off
    assert off.held == 0


async def test_serve_marks_and_a_worker_waits_only_with_redis(
    make_settings: Callable[..., Settings], redis_url: str
) -> None:
    """The modes' factory wires each side where it belongs (no I/O: parts are only built)."""
    queue, kv = InProcessQueue(), MemoryKeyValue()
    busy = [False]

    async def ingest_busy() -> bool:
        return busy[0]

    one = Mode.of(make_settings(INGEST_HANDLER_SHARE=0.3))
    consumer = build_consumer(one, queue=queue, kv=kv, ingest_busy=ingest_busy)
    ingest = build_ingest(one, queue=queue, kv=kv, consumer=consumer, writer_process=False)
    assert ingest.commit.on_pressure is None  # no other process to tell
    turns = consumer.turns  # the in-process handlers yield to this process's acks
    assert isinstance(turns, HandlerTurns) and not isinstance(turns, PressureGate)
    assert turns.share == 0.3 and turns.max_wait == one.settings.INGEST_PRIORITY_MAX_WAIT
    assert consumer.local_feeder is not None and consumer.feeder is None
    assert await turns.pressed() is False  # idle
    busy[0] = True
    assert await turns.pressed() is True
    if not redis_url:
        pytest.skip("TEST_REDIS_URL not set")
    two = Mode.of(make_settings(REDIS_URL=redis_url))
    serve = build_ingest(two, queue=queue, kv=kv, consumer=None, writer_process=False)
    assert isinstance(serve.commit.on_pressure, PressureMark)
    worker = build_consumer(two, queue=queue, kv=kv, ingest_busy=ingest_busy)
    assert isinstance(worker.turns, PressureGate) and worker.local_feeder is None
    assert worker.turns.max_wait == two.settings.INGEST_PRIORITY_MAX_WAIT
    assert worker.turns.share == two.settings.INGEST_HANDLER_SHARE
    off = Mode.of(make_settings(REDIS_URL=redis_url, INGEST_PRIORITY_MAX_WAIT=0))
    assert (
        build_ingest(
            off, queue=queue, kv=kv, consumer=None, writer_process=False
        ).commit.on_pressure
        is None
    )
    assert build_consumer(off, queue=queue, kv=kv, ingest_busy=ingest_busy).turns is None


async def test_a_runtime_shutting_down_holds_no_handler_back(
    make_settings: Callable[..., Settings],
) -> None:
    runtime = Runtime(make_settings(), role="serve")
    assert runtime.ingest is not None and runtime.consumer is not None
    turns = runtime.consumer.turns
    assert turns is not None
    runtime.ingest.commit._pressure()  # a burst
    assert await turns.pressed() is True
    await runtime.close()  # never started: closing still works, and ends the waits
    assert await turns.pressed() is False


async def test_the_gate_reads_the_mark_once_per_poll_however_many_ask() -> None:
    class CountingKV(MemoryKeyValue):
        reads = 0

        async def get(self, key: str) -> str | None:
            CountingKV.reads += 1
            return await super().get(key)

    kv = CountingKV()
    await kv.set(PRESSURE_KEY, "1", ttl=30)
    gate = PressureGate(kv, max_wait=1)
    answers = [await gate.pressed() for _ in range(50)]  # the feeder and every waiting job
    assert all(answers) and CountingKV.reads == 1
    await kv.delete(PRESSURE_KEY)
    await asyncio.sleep(POLL)
    assert await gate.pressed() is False and CountingKV.reads == 2
