"""Acks before handlers across processes: `serve` marks webhook pressure, a worker's inbox
jobs wait on the mark (bounded), and the runtime wires each side where it belongs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import build_app
from bot.appkeys import RUNTIME
from bot.backends.memory.kv import MemoryKeyValue
from bot.pipeline.group_commit import GroupCommit
from bot.pipeline.priority import PRESSURE_KEY, PressureGate, PressureMark
from bot.settings import Settings
from tests.bot.pipeline.test_group_commit import FakeInbox, settle, submit
from tests.helpers import wait_for


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


async def job(gate: PressureGate, log: list[str], name: str, hold: asyncio.Event) -> None:
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
    aiohttp_client: Any,
    clean_db: str,
    make_settings: Callable[..., Settings],
    redis_url: str,
) -> None:
    embedded = await aiohttp_client(build_app(make_settings()))
    runtime = embedded.app[RUNTIME]
    assert runtime.inbox_writer.on_pressure is None and runtime.pressure_gate is None
    if not redis_url:
        pytest.skip("TEST_REDIS_URL not set")
    serve = await aiohttp_client(build_app(make_settings(REDIS_URL=redis_url)))
    runtime = serve.app[RUNTIME]
    assert isinstance(runtime.inbox_writer.on_pressure, PressureMark)
    assert runtime.pressure_gate is None
    await runtime.consume()  # what `worker` does
    assert isinstance(runtime.pressure_gate, PressureGate)
    assert runtime.pressure_gate.max_wait == runtime.settings.INGEST_PRIORITY_MAX_WAIT
    off = await aiohttp_client(
        build_app(make_settings(REDIS_URL=redis_url, INGEST_PRIORITY_MAX_WAIT=0))
    )
    assert off.app[RUNTIME].inbox_writer.on_pressure is None
