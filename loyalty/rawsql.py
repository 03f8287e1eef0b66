"""Hand-written reads for the play's hot path, on SQLite and PostgreSQL alike.

Building a query through the ORM cost more CPU than running it (profiled: about 60% of a
play went to query building), and a play reads the same few rows every time. These
statements use `?` placeholders, turned into `$n` for PostgreSQL, and bind dates as the
driver wants them (`date` for asyncpg, ISO text for SQLite, which is how Tortoise stores a
DateField there).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

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


async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    """Run `sql` (with `?` marks) in the current transaction, if any; dates are converted."""
    conn, sql, values = _prepare(sql, params)
    return await conn.execute_query_dict(sql, values)


PLAY_STATE = (
    "SELECT"
    " (SELECT id FROM play WHERE member_id = ? AND game_id = ? AND idempotency_key = ?) AS found,"
    " (SELECT COUNT(*) FROM play WHERE member_id = ? AND game_id = ? AND day = ?) AS today"
)
PLAY_STATE_WITH_TOTAL = (
    PLAY_STATE + ", (SELECT COUNT(*) FROM play WHERE member_id = ? AND game_id = ?) AS total"
)


async def play_state(
    member_id: int, game_id: str, key: str, day: date, *, with_total: bool
) -> tuple[int | None, int, int]:
    """(play id already made with this idempotency key, plays today, plays ever): one query.

    Plays ever are only counted `with_total` (a game with a per-person total), else 0.
    """
    params: list[Any] = [member_id, game_id, key, member_id, game_id, day]
    if with_total:
        rows = await fetch(PLAY_STATE_WITH_TOTAL, *params, member_id, game_id)
    else:
        rows = await fetch(PLAY_STATE, *params)
    row = rows[0]
    found = row["found"]
    return (None if found is None else int(found)), int(row["today"]), int(row.get("total", 0))


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
    return rows[0] if rows else None


async def execute(sql: str, *params: Any) -> int:
    """Run a write (with `?` marks); return the number of rows it changed."""
    conn, sql, values = _prepare(sql, params)
    changed, _ = await conn.execute_query(sql, values)
    return int(changed)


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
ANY_LEFT = "SELECT 1 AS one FROM prize_stock WHERE game_id = ? AND prize_id = ? AND remaining > 0"


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
        if not await fetch(ANY_LEFT + " LIMIT 1", game_id, prize_id):
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
