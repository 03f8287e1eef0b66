"""The SQLite inbox writer process: webhook batches committed by a process of their own.

Always on a SQLite file of the test's own (`sqlite_file`, whatever TEST_DATABASE_URL says):
the writer only exists with SQLite. The process is real (`python -m
bot.pipeline.ingest.sqlite_writer_proc`), and so is its death (SIGKILL): the app must go on storing
every webhook, in-process meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise

from bot.contracts.inbox import InboxItem
from bot.db import close_db, init_db
from bot.models import InboxEvent
from bot.pipeline.ingest.sqlite import SqliteInboxWriter
from bot.pipeline.ingest.sqlite_writer import SqliteWriter, WriterError, WriterGone
from bot.settings import Settings
from tests.bot.channels.messenger.conftest import MessengerApp, graph_settings, start_app, wait_for
from tests.fakes.graph_api import FakeGraph


def _values(key: str, user: str = "u1", text: str = "Chào shop", channel: str = "zalo") -> list:
    body = f'{{"message":{{"msg_id":"{key}","text":"{text}"}}}}'
    return [channel, "oa1", user, key, "user_send_text", body, "2026-12-01 08:00:00+00:00"]


def _rows(path: Path) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(path, timeout=10)
    try:
        query = "SELECT id, channel, dedupe_key, body, status FROM inbox_event ORDER BY id"
        return list(con.execute(query))
    finally:
        con.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not alive either
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


async def _gone(pid: int) -> bool:
    for _ in range(300):  # a loaded machine reaps slowly
        if not _alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


async def _started(writer: SqliteWriter, starts: int) -> bool:
    for _ in range(200):
        if writer.starts >= starts and writer.pid is not None:
            return True
        await asyncio.sleep(0.05)
    return False


# --- the writer on its own -----------------------------------------------------------------


async def test_the_process_commits_batches_and_answers_the_new_rows(sqlite_file: Path) -> None:
    writer = SqliteWriter(str(sqlite_file))
    assert await writer.start()
    pid = writer.pid
    assert pid is not None and pid != os.getpid()
    try:
        first = await writer.store(_values("a") + _values("b", text="Bắt đầu"))
        assert [(ch, key) for _, ch, key in first] == [("zalo", "a"), ("zalo", "b")]
        # A platform retry of "b" next to a new event: only the new one comes back.
        again = await writer.store(_values("b") + _values("c", user="u2"))
        assert [key for _, _, key in again] == ["c"]
        # The same key on another channel is another event.
        other = await writer.store(_values("a", channel="messenger"))
        assert [(ch, key) for _, ch, key in other] == [("messenger", "a")]
    finally:
        await writer.close()
    assert await _gone(pid)
    rows = _rows(sqlite_file)  # committed: another connection reads them after the close
    assert [(r[1], r[2]) for r in rows] == [
        ("zalo", "a"),
        ("zalo", "b"),
        ("zalo", "c"),
        ("messenger", "a"),
    ]
    assert [r[0] for r in rows] == [row_id for row_id, _, _ in first + again + other]
    assert "Bắt đầu" in rows[1][3] and {r[4] for r in rows} == {"pending"}
    assert writer.batches == 3 and writer.pid is None


async def test_a_refused_batch_is_an_error_and_the_process_goes_on(sqlite_file: Path) -> None:
    writer = SqliteWriter(str(sqlite_file))
    await writer.start()
    try:
        with pytest.raises(WriterError, match="7 values per row"):
            await writer.store(_values("a")[:5])
        bad = _values("b")
        bad[3] = None  # dedupe_key is NOT NULL
        with pytest.raises(WriterError, match="IntegrityError"):
            await writer.store(_values("ok-but-rolled-back") + bad)
        assert [key for _, _, key in await writer.store(_values("c"))] == ["c"]
    finally:
        await writer.close()
    assert [r[2] for r in _rows(sqlite_file)] == ["c"]  # the refused batch left nothing
    assert writer.starts == 1


async def test_a_killed_process_is_replaced_after_the_pause(sqlite_file: Path) -> None:
    writer = SqliteWriter(str(sqlite_file), retry_after=0.3)
    await writer.start()
    try:
        await writer.store(_values("a"))
        first = writer.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        assert await _gone(first)
        with pytest.raises(WriterGone):
            await writer.store(_values("b"))  # the caller writes this batch itself
        await asyncio.sleep(0.1)
        with pytest.raises(WriterGone, match="not running"):
            await writer.store(_values("b"))  # within the pause: no new process yet
        assert writer.pid is None and writer.starts == 1
        await asyncio.sleep(0.3)
        with pytest.raises(WriterGone):
            await writer.store(_values("b"))  # starts one in the background
        assert await _started(writer, 2)
        assert [key for _, _, key in await writer.store(_values("b"))] == ["b"]
        assert writer.pid not in (None, first)
    finally:
        await writer.close()


async def test_a_database_that_cannot_be_opened_means_no_process(tmp_path: Path) -> None:
    writer = SqliteWriter(str(tmp_path / "missing-dir" / "x.sqlite3"), retry_after=60)
    assert await writer.start() is False
    with pytest.raises(WriterGone):
        await writer.store(_values("a"))
    await writer.close()


async def test_the_inbox_store_falls_back_in_process_when_the_writer_is_gone(
    sqlite_file: Path,
) -> None:
    opened = await init_db(f"sqlite://{sqlite_file}")
    store = SqliteInboxWriter(use_process=False)
    store.process = SqliteWriter(str(sqlite_file), retry_after=60)
    await store.process.start()

    def item(key: str) -> tuple[str, InboxItem]:
        body = {"message": {"msg_id": key, "text": "Xin chào"}}
        return "zalo", InboxItem("oa1", "u1", key, "user_send_text", body)

    try:
        via_process = await store.store([item("a"), item("b")])
        assert store.process.batches == 1
        pid = store.process.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert await _gone(pid)
        in_process = await store.store([item("b"), item("c")])  # "b" is a retry
        assert store.process.batches == 1  # that batch did not go through the process
        assert [i.dedupe_key for (_, i), _ in via_process] == ["a", "b"]
        # "b" was stored already, but is still pending: in a fallback it counts as new, as
        # the lost process may have committed it without anyone queueing its job.
        assert [i.dedupe_key for (_, i), _ in in_process] == ["b", "c"]
        assert in_process[0][1] == via_process[1][1]  # the row stored by the process
        stored = await InboxEvent.all().order_by("id")
        assert [e.dedupe_key for e in stored] == ["a", "b", "c"]
        assert [e.id for e in stored] == [row_id for _, row_id in via_process + in_process[1:]]
        assert stored[0].body == {"message": {"msg_id": "a", "text": "Xin chào"}}
    finally:
        await store.close()
        await close_db(opened)


def _item(key: str) -> tuple[str, InboxItem]:
    body = {"message": {"msg_id": key, "text": "Xin chào"}}
    return "zalo", InboxItem("oa1", "u1", key, "user_send_text", body)


@pytest.mark.parametrize("standin", ["dies", "hangs"])
async def test_a_batch_the_process_lost_is_stored_and_queued_in_process(
    sqlite_file: Path, standin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process commits the batch and dies before answering, or never answers: the batch
    is written again in-process, and its rows come back as new, so their jobs are queued
    now (not by the sweep a minute later)."""
    monkeypatch.setenv("WRITER_STANDIN", standin)
    opened = await init_db(f"sqlite://{sqlite_file}")
    store = SqliteInboxWriter(use_process=False)
    writer = SqliteWriter(
        str(sqlite_file), module="tests.bot.pipeline.writer_standin", answer_timeout=1.0
    )
    store.process = writer
    try:
        assert await writer.start()
        new = await asyncio.wait_for(store.store([_item("a"), _item("b")]), 15)  # not hung
        assert [i.dedupe_key for (_, i), _ in new] == ["a", "b"]
        stored = await InboxEvent.all().order_by("id")
        assert [(e.dedupe_key, e.status) for e in stored] == [("a", "pending"), ("b", "pending")]
        assert [e.id for e in stored] == [row_id for _, row_id in new]
        assert writer.batches == 0 and writer.pid is None  # the process was given up
    finally:
        await store.close()
        await close_db(opened)


# --- the whole app -------------------------------------------------------------------------


@pytest.fixture
async def app(
    aiohttp_client: Any, sqlite_file: Path, make_settings: Callable[..., Settings]
) -> AsyncIterator[MessengerApp]:
    """The app on its own SQLite file, in-process queue: the embedded mode."""
    async with FakeGraph() as fb:
        settings = make_settings(**graph_settings(fb), DATABASE_URL=f"sqlite://{sqlite_file}")
        async for value in start_app(aiohttp_client, settings, fb, "memory"):
            yield value
    await Tortoise.close_connections()


async def _settled(count: int) -> bool:
    done = await InboxEvent.filter(channel="messenger", status="done").count()
    return done >= count


async def test_webhooks_go_through_the_writer_process_and_survive_its_death(
    app: MessengerApp,
) -> None:
    writer = _process(app.runtime)
    assert writer is not None and writer.pid is not None
    writer.retry_after = 0.2
    fb = app.fb
    burst = [fb.message(f"psid{n}", f"tin {n}") for n in range(30)]
    retried = fb.message("psid_dup", "chào shop", mid="m_dup")
    posts = [fb.deliver(app.url, fb.envelope(item)) for item in burst]
    posts += [fb.deliver(app.url, fb.envelope(retried)) for _ in range(4)]
    assert await asyncio.gather(*posts) == [[200]] * 34
    assert writer.batches >= 1 and writer.batches == _ingest(app.runtime).commit.flushes

    first = writer.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert await _gone(first)
    later = [fb.message(f"late{n}", f"sau {n}") for n in range(10)]
    statuses = await asyncio.gather(*(fb.deliver(app.url, fb.envelope(i)) for i in later))
    assert statuses == [[200]] * 10  # written in-process meanwhile
    await asyncio.sleep(0.25)  # the pause after a loss
    more = fb.message("more", "còn nữa")
    assert await fb.deliver(app.url, fb.envelope(more)) == [200]  # starts a new process
    assert await _started(writer, 2)
    batches = writer.batches
    after = fb.message("after", "lại đây")
    assert await fb.deliver(app.url, fb.envelope(after)) == [200]
    assert writer.pid not in (None, first) and writer.batches == batches + 1

    await wait_for(lambda: _settled(43), within=30, what="43 events handled")
    rows = await InboxEvent.filter(channel="messenger").order_by("id")
    mids = [i["message"]["mid"] for i in [*burst, retried, *later, more, after]]
    assert sorted(r.dedupe_key for r in rows) == sorted(f"message:{mid}" for mid in mids)
    assert {r.status for r in rows} == {"done"}


async def test_ledger_transactions_run_beside_the_writer_process(app: MessengerApp) -> None:
    """Tortoise transactions in `serve` (lock the member, read, write the ledger) while the
    writer commits batches from another process: none fails (`bot.db_sqlite` begins them
    with BEGIN IMMEDIATE; a deferred BEGIN fails at its first write, SQLITE_BUSY)."""
    from loyalty.models import Member
    from loyalty.points import earn, ledger_sum

    member = await Member.create(member_code="SQLWRITER1")
    fb = app.fb

    async def webhooks(n: int) -> list[list[int]]:
        items = [fb.message(f"p{n}-{k}", f"tin {k}") for k in range(8)]
        return await asyncio.gather(*(fb.deliver(app.url, fb.envelope(i)) for i in items))

    async def points(n: int) -> None:
        await earn(member, 10, reason="test", ref=f"k{n}")

    results = await asyncio.gather(
        *(webhooks(n) for n in range(10)), *(points(n) for n in range(20))
    )
    assert all(r == [[200]] * 8 for r in results[:10])
    writer = _process(app.runtime)
    assert writer is not None and writer.batches >= 1
    assert await ledger_sum(member) == 200
    assert await InboxEvent.filter(channel="messenger").count() == 80


async def test_closing_the_app_stops_the_process(
    aiohttp_client: Any, sqlite_file: Path, make_settings: Callable[..., Settings]
) -> None:
    from bot.app import build_app
    from bot.runtime import RUNTIME

    app = build_app(make_settings(DATABASE_URL=f"sqlite://{sqlite_file}"))
    client = await aiohttp_client(app)
    writer = _process(app[RUNTIME])
    assert writer is not None
    pid = writer.pid
    assert pid is not None
    await client.close()
    assert await _gone(pid)


async def test_turned_off_there_is_no_process(
    aiohttp_client: Any, sqlite_file: Path, make_settings: Callable[..., Settings]
) -> None:
    from bot.app import build_app
    from bot.runtime import RUNTIME

    off = make_settings(DATABASE_URL=f"sqlite://{sqlite_file}", INGEST_SQLITE_WRITER=False)
    app = build_app(off)
    client = await aiohttp_client(app)
    assert _process(app[RUNTIME]) is None
    await client.close()


def _ingest(runtime: Any) -> Any:
    assert runtime.ingest is not None
    return runtime.ingest


def _process(runtime: Any) -> SqliteWriter | None:
    writer = _ingest(runtime).writer
    assert isinstance(writer, SqliteInboxWriter)
    return writer.process
