"""The inbox writer on PostgreSQL: one batch INSERT on a connection it keeps checked out.

Taking a connection from asyncpg's pool and giving it back cost more CPU than a small
batch's INSERT itself, once per batch. The writer keeps the connections it used checked
out instead, one per batch in flight, and gives one back to the pool only when a statement
on it failed (the pool replaces a broken connection) and at `close`.

With a `notify_channel` the same statement also notifies the workers' feeders of the new
rows' id range (`sql.insert_sql`), so `serve` makes no Redis call at all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from tortoise import connections

from bot.contracts.inbox import NewRows, Row
from bot.db import asyncpg_pool
from bot.pipeline.ingest.sql import insert_sql, new_rows, row_values

log = logging.getLogger("bot.pipeline.ingest.postgres")


class PostgresInboxWriter:
    def __init__(self, notify_channel: str | None = None) -> None:
        self.notify_channel = notify_channel
        self._idle: list[asyncpg.Connection] = []
        self._pool: Any = None
        self.held = 0  # connections checked out by the writer

    async def start(self) -> None:
        """Nothing to start: connections are taken on first use."""

    async def store(self, rows: Sequence[Row]) -> NewRows:
        if not rows:
            return []
        notify = self.notify_channel
        sql = insert_sql(len(rows), True, notify is not None)
        values = row_values(rows, datetime.now(UTC))
        if notify is not None:
            values.append(notify)
        stale = bool(self._idle)  # an idle held connection may have died meanwhile
        try:
            result = await self._fetch(sql, values)
        except Exception as exc:
            if not stale:
                raise
            # Once more, on a fresh connection: this one sat idle and may have died meanwhile
            # (a server restart shows up as several kinds of error, some only as asyncpg's
            # protocol state). ON CONFLICT makes the repeat harmless; a real SQL error fails
            # again and is raised.
            log.warning("inbox writer: held connection failed (%r), retrying on a new one", exc)
            result = await self._fetch(sql, values, fresh=True)
        return new_rows(rows, result)

    async def _fetch(self, sql: str, values: list[Any], *, fresh: bool = False) -> Sequence[Any]:
        raw = await self._take(fresh=fresh)
        try:
            result: Sequence[Any] = await raw.fetch(sql, *values)
        except BaseException:
            await self._give_back(raw)
            raise
        self._idle.append(raw)
        return result

    async def _take(self, *, fresh: bool = False) -> asyncpg.Connection:
        if self._idle and not fresh:
            return self._idle.pop()
        self._pool = await asyncpg_pool(connections.get("default"))
        raw = await self._pool.acquire()
        self.held += 1
        return raw

    async def _give_back(self, raw: asyncpg.Connection) -> None:
        self.held -= 1
        try:
            await self._pool.release(raw)
        except Exception:  # a broken connection: the pool has dropped it already
            log.warning("inbox writer: connection not returned cleanly", exc_info=True)

    async def close(self) -> None:
        """Return every held connection (before the pool closes: it waits for them)."""
        idle, self._idle = self._idle, []
        for raw in idle:
            await self._give_back(raw)
