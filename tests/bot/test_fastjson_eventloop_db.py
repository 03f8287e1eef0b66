"""The three small speed switches: orjson with a json fallback, uvloop, the PostgreSQL pool.

Each must keep the old behaviour where it matters: the webhook parses everything `json`
parsed, the inbox stores the same compact UTF-8 text, the loop choice falls back cleanly,
and a pooled connection without asyncpg's per-release reset still serves the next query.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from bot import eventloop, fastjson
from bot.db import close_db, init_db, tortoise_config

# --- fastjson ------------------------------------------------------------------------------


@pytest.fixture(params=["orjson", "json only"])
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every fastjson test runs with orjson and again as if it were not installed."""
    if request.param == "json only":
        monkeypatch.setattr(fastjson, "orjson", None)
    return str(request.param)


def test_loads_reads_bytes_and_text_with_vietnamese(codec: str) -> None:
    raw = '{"text":"Chào shop, cho mình hỏi giá ạ","n":[1,2.5,null,true]}'
    expected = {"text": "Chào shop, cho mình hỏi giá ạ", "n": [1, 2.5, None, True]}
    assert fastjson.loads(raw) == expected
    assert fastjson.loads(raw.encode()) == expected
    assert fastjson.loads(b'{"t":"Ch\\u00e0o"}') == {"t": "Chào"}  # Meta's escaped form


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1,", b"\xff\xfe", "{'a': 1}"])
def test_loads_raises_value_error_on_non_json(codec: str, raw: bytes | str) -> None:
    with pytest.raises(ValueError):
        fastjson.loads(raw)


@pytest.mark.parametrize("big", [2**64, 2**70 + 1, -(2**70), 10**19 + 7])
def test_loads_keeps_integers_beyond_64_bits_exact(codec: str, big: int) -> None:
    assert fastjson.loads(f'{{"id":{big},"ok":"ừ"}}'.encode()) == {"id": big, "ok": "ừ"}
    assert fastjson.loads(f"[{big}]") == [big]
    text = f'{{"t":"Đặt ly trà đào","id":{big}}}'
    assert fastjson.loads(text) == {"t": "Đặt ly trà đào", "id": big}


def test_loads_reads_19_digit_ids_and_digits_in_strings(codec: str) -> None:
    # Zalo's ids are 19 digits (fit in 64 bits); a 25-digit run inside a string is only text.
    raw = b'{"id":6100000000000000001,"code":"1234567890123456789012345","t":"-ab"}'
    assert fastjson.loads(raw) == {
        "id": 6100000000000000001,
        "code": "1234567890123456789012345",
        "t": "-ab",
    }
    assert fastjson.loads('"\ud800 l\u1ebb"') == "\ud800 lẻ"


@pytest.mark.parametrize("big", [-(2**63) - 1, -(10**19) + 1])
def test_loads_keeps_19_digit_negatives_below_int64_exact(codec: str, big: int) -> None:
    # 19 digits after a minus sign can be beyond 64 bits, where orjson would give a float.
    assert fastjson.loads(f'{{"id":{big}}}'.encode()) == {"id": big}
    assert fastjson.loads(f'{{"id":{-(2**63)}}}') == {"id": -(2**63)}  # still exact in range


def test_loads_accepts_nan_and_infinity_like_json(codec: str) -> None:
    value = fastjson.loads(b"[NaN,Infinity,-Infinity]")
    assert math.isnan(value[0]) and value[1:] == [math.inf, -math.inf]


def test_dumps_is_compact_and_keeps_vietnamese_unescaped(codec: str) -> None:
    body = {"kind": "message", "item": {"text": "Bắt đầu nhận quà 🎁", "ids": [1, 2]}}
    text = fastjson.dumps(body)
    assert text == '{"kind":"message","item":{"text":"Bắt đầu nhận quà 🎁","ids":[1,2]}}'
    assert json.loads(text) == body


@pytest.mark.parametrize(
    "value", [{"id": 2**70}, {1: "int key"}, {"nested": {"big": -(2**65), "ok": "ừ"}}]
)
def test_dumps_falls_back_for_what_orjson_refuses(codec: str, value: Any) -> None:
    assert fastjson.dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_dumps_still_refuses_what_json_refuses(codec: str) -> None:
    with pytest.raises(TypeError):
        fastjson.dumps({"when": object()})


# --- eventloop -----------------------------------------------------------------------------


@pytest.fixture
def restore_policy() -> Iterator[None]:
    """`install` changes a process-wide setting: put the previous policy back afterwards."""
    saved = asyncio.get_event_loop_policy()
    yield
    asyncio.set_event_loop_policy(saved)


def _loop_module() -> str:
    async def probe() -> str:
        return type(asyncio.get_running_loop()).__module__

    return asyncio.run(probe())


@pytest.mark.parametrize("choice", ["auto", "uvloop"])
def test_uvloop_is_used_when_installed(restore_policy: None, choice: eventloop.Choice) -> None:
    pytest.importorskip("uvloop")
    assert eventloop.install(choice) == "uvloop"
    assert _loop_module().startswith("uvloop")


def test_asyncio_choice_restores_the_default_loop(restore_policy: None) -> None:
    pytest.importorskip("uvloop")
    eventloop.install("uvloop")
    assert eventloop.install("asyncio") == "asyncio"
    assert type(asyncio.get_event_loop_policy()) is asyncio.DefaultEventLoopPolicy
    assert _loop_module().startswith("asyncio")


def test_without_uvloop_auto_falls_back_and_uvloop_is_an_error(
    restore_policy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.set_event_loop_policy(None)
    before = asyncio.get_event_loop_policy()
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` now fails
    assert eventloop.install("auto") == "asyncio"
    assert asyncio.get_event_loop_policy() is before
    with pytest.raises(RuntimeError, match="EVENT_LOOP"):
        eventloop.install("uvloop")


# --- db ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_gets_a_sized_pool_and_the_light_reset(scheme: str) -> None:
    config = tortoise_config(f"{scheme}://bot:pw@db.internal:5433/shop", pool_size=13)
    connection = config["connections"]["default"]
    assert connection["engine"] == "tortoise.backends.asyncpg"
    credentials = connection["credentials"]
    assert (credentials["host"], credentials["port"], credentials["database"]) == (
        "db.internal",
        5433,
        "shop",
    )
    assert credentials["maxsize"] == 13
    reset = credentials["reset"]
    assert asyncio.iscoroutinefunction(reset)
    assert asyncio.run(reset(object())) is None  # sends nothing to the connection


def test_maxsize_in_the_url_wins_over_pool_size() -> None:
    config = tortoise_config("postgres://bot:pw@localhost/shop?maxsize=7", pool_size=13)
    assert int(config["connections"]["default"]["credentials"]["maxsize"]) == 7


def test_sqlite_gets_its_folder_and_the_immediate_engine(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/new/dir/app.sqlite3"
    config = tortoise_config(url, pool_size=13)
    connection = config["connections"]["default"]
    assert connection["engine"] == "bot.db_sqlite"
    assert connection["credentials"]["file_path"] == f"{tmp_path}/new/dir/app.sqlite3"
    assert connection["credentials"]["journal_mode"] == "WAL"
    assert (tmp_path / "new" / "dir").is_dir()
    memory = tortoise_config("sqlite://:memory:")["connections"]["default"]
    assert memory["credentials"]["file_path"] == ":memory:"
    assert set(config["apps"]) == {"bot", "loyalty"}


async def test_sqlite_transactions_survive_another_process_committing(sqlite_file: Path) -> None:
    """A transaction reads, another process tries to commit meanwhile, then it writes.

    With Tortoise's deferred `BEGIN` the other process commits at once and the write then
    fails (SQLITE_BUSY: the transaction's snapshot is stale, and SQLite does not wait). With
    `BEGIN IMMEDIATE` (`bot.db_sqlite`) the other process waits for the lock and both writes
    land. The inbox writer process does exactly this beside `serve`.
    """
    import contextlib
    import sqlite3
    import sys

    from tortoise.transactions import in_transaction

    from bot.db import close_db, init_db
    from bot.models import InboxEvent

    path = sqlite_file
    opened = await init_db(f"sqlite://{path}")
    other = (
        "import sqlite3, sys\n"
        "con = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)\n"
        'con.execute("INSERT INTO inbox_event (channel, account_id, user_id, dedupe_key,'
        " event_name, body, received_at, status, attempts) VALUES ('zalo', 'oa', 'u',"
        " 'other', 'x', '{}', '2026-12-01 00:00:00', 'pending', 0)\")\n"
    )
    try:
        async with in_transaction():
            assert await InboxEvent.filter(dedupe_key="mine").count() == 0  # the snapshot
            proc = await asyncio.create_subprocess_exec(sys.executable, "-c", other, str(path))
            with contextlib.suppress(TimeoutError):  # deferred: it commits well within this
                await asyncio.wait_for(proc.wait(), 1.5)
            await InboxEvent.create(
                channel="zalo", account_id="oa", user_id="u", dedupe_key="mine",
                event_name="x", body={},
            )  # fmt: skip
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    finally:
        await close_db(opened)
    con = sqlite3.connect(path, timeout=10)
    try:
        keys = {k for (k,) in con.execute("SELECT dedupe_key FROM inbox_event")}
    finally:
        con.close()
    assert keys == {"mine", "other"}


async def test_postgres_connections_released_to_the_pool_keep_working(
    clean_db: str, is_postgres: bool
) -> None:
    """One pooled connection, reused after a failed query, a rolled-back transaction and an
    open transaction left behind: each time the next query runs on it."""
    if not is_postgres:
        pytest.skip("TEST_DATABASE_URL is not a PostgreSQL URL")
    opened = await init_db(clean_db, pool_size=1)
    try:
        conn = connections.get("default")

        async def pid() -> int:
            rows = await conn.execute_query_dict("SELECT pg_backend_pid() AS pid")
            return int(rows[0]["pid"])

        first = await pid()
        # The pool is really bounded by pool_size: concurrent queries share one backend.
        assert set(await asyncio.gather(*(pid() for _ in range(6)))) == {first}
        with pytest.raises(Exception, match="syntax"):
            await conn.execute_query("SELEC 1")
        assert await pid() == first
        with pytest.raises(ZeroDivisionError):
            async with in_transaction() as tx:
                await tx.execute_script("CREATE TABLE probe_rolled_back (x int)")
                raise ZeroDivisionError
        # A transaction left open on release is rolled back by asyncpg before our reset.
        async with conn.acquire_connection() as raw:
            await raw.execute("BEGIN")
            await raw.execute("CREATE TABLE probe_left_open (x int)")
        rows = await conn.execute_query_dict(
            "SELECT to_regclass('probe_rolled_back') AS a, to_regclass('probe_left_open') AS b,"
            " pg_backend_pid() AS pid"
        )
        assert rows == [{"a": None, "b": None, "pid": first}]
        # And the light reset is the one in use: session settings are not reset on release.
        await conn.execute_script("SET application_name = 'zlb-pool-probe'")
        rows = await conn.execute_query_dict("SELECT current_setting('application_name') AS n")
        assert rows == [{"n": "zlb-pool-probe"}]
    finally:
        await close_db(opened)


async def test_the_senders_lookup_of_a_users_pending_messages_has_an_index(db: str) -> None:
    """Migration bot/0002: without it every send scanned all pending outbox rows, and a
    pile-up after a burst (thousands pending) stalled the senders for tens of seconds."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(
            "SELECT indexdef AS sql FROM pg_indexes WHERE tablename = 'outbox_message'"
        )
    else:
        rows = await conn.execute_query_dict(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox_message'"
        )
    defs = [" ".join(str(r["sql"]).replace('"', "").split()) for r in rows]
    assert any("(channel, account_id, user_id, status)" in d for d in defs), defs
