"""Hand-written reads for the play's hot path, on SQLite and PostgreSQL alike.

Building a query through the ORM cost more CPU than running it (profiled: about 60% of a
play went to query building), and a play reads the same few rows every time. These
statements use `?` placeholders, turned into `$n` for PostgreSQL, and bind dates as the
driver wants them (`date` for asyncpg, ISO text for SQLite, which is how Tortoise stores a
DateField there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import asyncpg
from tortoise import connections
from tortoise.backends.asyncpg.client import TransactionWrapper
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

_MARK = re.compile(r"\?")


@lru_cache(maxsize=64)
def _numbered(sql: str) -> str:
    counter = iter(range(1, 1000))
    return _MARK.sub(lambda _: f"${next(counter)}", sql)


def _conn() -> tuple[BaseDBAsyncClient, bool]:
    conn = connections.get("default")
    return conn, conn.capabilities.dialect == "postgres"


def _prepare(sql: str, params: tuple[Any, ...]) -> tuple[BaseDBAsyncClient, str, list[Any]]:
    """The connection (the transaction's, inside one), the SQL in its dialect, the params."""
    conn, postgres = _conn()
    if postgres:
        return conn, _numbered(sql), list(params)
    return conn, sql, [p.isoformat() if type(p) is date else p for p in params]


@contextmanager
def _translated() -> Iterator[None]:
    """asyncpg's errors as Tortoise's, as Tortoise's own client raises them (callers such as
    `txn.retry_on_conflict` catch `IntegrityError`)."""
    try:
        yield
    except (asyncpg.SyntaxOrAccessError, asyncpg.exceptions.DataError) as exc:
        raise OperationalError(exc) from exc
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(exc) from exc
    except asyncpg.InvalidTransactionStateError as exc:
        raise TransactionManagementError(exc) from exc


def _raw(conn: BaseDBAsyncClient) -> asyncpg.Connection | None:
    """Inside a PostgreSQL transaction, its asyncpg connection: the hot path talks to it
    directly (Tortoise's per-query wrapping cost as much CPU as asyncpg itself). Outside a
    transaction, None: the pool hands out connections through Tortoise."""
    if type(conn) is TransactionWrapper:
        return conn._connection
    return None


async def fetch(sql: str, *params: Any) -> Sequence[Mapping[str, Any]]:
    """Run `sql` (with `?` marks) in the current transaction, if any; dates are converted."""
    conn, sql, values = _prepare(sql, params)
    return await _fetch(conn, sql, values)


async def fetch_numbered(sql: str, *params: Any) -> Sequence[Mapping[str, Any]]:
    """Run PostgreSQL `sql` written with `$n` marks (for statements only PostgreSQL runs)."""
    return await _fetch(connections.get("default"), sql, list(params))


async def _fetch(
    conn: BaseDBAsyncClient, sql: str, values: list[Any]
) -> Sequence[Mapping[str, Any]]:
    raw = _raw(conn)
    if raw is None:
        return await conn.execute_query_dict(sql, values)
    with _translated():
        rows: Sequence[Mapping[str, Any]] = await raw.fetch(sql, *values)
        return rows


_PLAY_COUNTS = (
    "SELECT"
    " (SELECT id FROM play WHERE member_id = ? AND game_id = ? AND idempotency_key = ?) AS found,"
    " (SELECT COUNT(*) FROM play WHERE member_id = ? AND game_id = ? AND day = ?) AS today,"
)
_TOTAL = "(SELECT COUNT(*) FROM play WHERE member_id = ? AND game_id = ?)"
_STOCK_JOIN = (
    " s.prize_id AS prize_id, s.remaining AS remaining, d.awarded AS awarded_today"
    " FROM (SELECT 1 AS one) AS x"
    " LEFT JOIN (SELECT prize_id, SUM(remaining) AS remaining FROM prize_stock"
    " WHERE game_id = ? GROUP BY prize_id) AS s ON 1 = 1"
    " LEFT JOIN prize_daily_count d"
    " ON d.game_id = ? AND d.prize_id = s.prize_id AND d.day = ?"
)
PLAY_STATE = _PLAY_COUNTS + " 0 AS total," + _STOCK_JOIN
PLAY_STATE_WITH_TOTAL = _PLAY_COUNTS + f" {_TOTAL} AS total," + _STOCK_JOIN


@dataclass(frozen=True, slots=True)
class PlayState:
    """What a play decides on, read in one query once the member is locked."""

    found: int | None  # the play already made with this idempotency key
    today: int  # plays today (Vietnam day)
    total: int  # plays ever (only counted for games with a per-person total, else 0)
    stock: dict[str, tuple[int, int]]  # prize id -> (remaining, awarded today)


async def play_state(
    member_id: int, game_id: str, key: str, day: date, *, with_total: bool
) -> PlayState:
    """The replay check, both play limits and the game's stock: one round trip."""
    params: list[Any] = [member_id, game_id, key, member_id, game_id, day]
    if with_total:
        params += [member_id, game_id]
    params += [game_id, game_id, day]
    rows = await fetch(PLAY_STATE_WITH_TOTAL if with_total else PLAY_STATE, *params)
    first = rows[0]
    found = first["found"]
    stock = {
        r["prize_id"]: (int(r["remaining"]), int(r["awarded_today"] or 0))
        for r in rows
        if r["prize_id"] is not None
    }
    return PlayState(
        None if found is None else int(found), int(first["today"]), int(first["total"]), stock
    )


STOCK_SNAPSHOT = (
    "SELECT s.prize_id AS prize_id, s.remaining AS remaining, d.awarded AS today"
    " FROM (SELECT prize_id, SUM(remaining) AS remaining FROM prize_stock WHERE game_id = ?"
    " GROUP BY prize_id) s"
    " LEFT JOIN prize_daily_count d"
    " ON d.game_id = ? AND d.prize_id = s.prize_id AND d.day = ?"
)


async def stock_snapshot(game_id: str, day: date) -> dict[str, tuple[int, int]]:
    """prize id -> (remaining over all shards, awarded today) for the game: one query."""
    rows = await fetch(STOCK_SNAPSHOT, game_id, game_id, day)
    return {r["prize_id"]: (int(r["remaining"]), int(r["today"] or 0)) for r in rows}


async def locked_member_row(member_id: int) -> dict[str, Any] | None:
    """The member row, locked until the transaction ends (`FOR UPDATE` on PostgreSQL; SQLite
    serializes whole write transactions instead)."""
    lock = " FOR UPDATE" if is_postgres() else ""
    rows = await fetch("SELECT * FROM member WHERE id = ?" + lock, member_id)
    return dict(rows[0]) if rows else None


async def execute(sql: str, *params: Any) -> int:
    """Run a write (with `?` marks); return the number of rows it changed."""
    conn, sql, values = _prepare(sql, params)
    raw = _raw(conn)
    if raw is None:
        changed, _ = await conn.execute_query(sql, values)
        return int(changed)
    with _translated():
        status = await raw.execute(sql, *values)  # e.g. "UPDATE 1"
    return int(status.rsplit(" ", 1)[-1])


# Any shard with units left that no other play has locked: a winner never waits while
# another shard is free. Only PostgreSQL has SKIP LOCKED (SQLite has one writer anyway).
CLAIM_FREE_SHARD = (
    "UPDATE prize_stock SET remaining = remaining - 1, awarded = awarded + 1"
    " WHERE id = (SELECT id FROM prize_stock"
    " WHERE game_id = ? AND prize_id = ? AND remaining > 0"
    " ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED) AND remaining > 0"
)
# The first shard that had units a moment ago, waiting for its lock if need be; the UPDATE
# checks `remaining > 0` again on the row as it is once the lock is ours.
CLAIM_FIRST_SHARD = (
    "UPDATE prize_stock SET remaining = remaining - 1, awarded = awarded + 1"
    " WHERE id = (SELECT id FROM prize_stock"
    " WHERE game_id = ? AND prize_id = ? AND remaining > 0 ORDER BY shard LIMIT 1)"
    " AND remaining > 0"
)
ANY_LEFT = (
    "SELECT 1 AS one FROM prize_stock WHERE game_id = ? AND prize_id = ? AND remaining > 0 LIMIT 1"
)


async def take_stock_unit(game_id: str, prize_id: str) -> bool:
    """Take one unit from any shard with units left (the claim that makes over-allocation
    impossible: each UPDATE takes one unit from a row that has one, or changes nothing).

    False only when no shard has a unit left. A claim that waited for a shard's lock and
    found it emptied meanwhile tries again: some other play took that unit, so the loop
    always progresses.
    """
    if not is_postgres():
        return await execute(CLAIM_FIRST_SHARD, game_id, prize_id) == 1
    while True:
        if await execute(CLAIM_FREE_SHARD, game_id, prize_id) == 1:
            return True
        # Every shard with units is locked by a play in flight (or none has units): wait.
        if await execute(CLAIM_FIRST_SHARD, game_id, prize_id) == 1:
            return True
        if not await fetch(ANY_LEFT, game_id, prize_id):
            return False


def is_postgres() -> bool:
    return _conn()[1]


async def live_member_id(member_id: int) -> int | None:
    """`members.resolve` for the hot path: follow `merged_into` by id only (None: no such
    member). A loop in the chain stops at the last member not seen before, like `resolve`."""
    seen: set[int] = set()
    current: int | None = member_id
    last: int | None = None
    while current is not None and current not in seen:
        rows = await fetch("SELECT merged_into_id FROM member WHERE id = ?", current)
        if not rows:
            return last
        seen.add(current)
        last = current
        merged = rows[0]["merged_into_id"]
        current = None if merged is None else int(merged)
    return last
