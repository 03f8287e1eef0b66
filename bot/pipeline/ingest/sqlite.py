"""The inbox writer on SQLite: batches go to a writer process, in-process while it is away.

The writer process (`sqlite_writer`) exists because in `serve` the INSERT ran in
aiosqlite's thread, which fought the event loop for the interpreter lock at every row
(bench/README.md measures it). An in-memory database cannot be opened by another process,
so it is always written in-process.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise import connections

from bot.contracts.inbox import NewRows, Row
from bot.models import InboxEvent
from bot.pipeline.ingest.sql import insert_sql, new_rows, row_values
from bot.pipeline.ingest.sqlite_writer import SqliteWriter, WriterGone

RESULT_KEYS = ("id", "channel", "dedupe_key")


async def store_in_process(rows: Sequence[Row]) -> NewRows:
    """One `INSERT … ON CONFLICT DO NOTHING RETURNING` on Tortoise's own connection."""
    if not rows:
        return []
    conn = connections.get("default")
    values = row_values(rows, datetime.now(UTC).isoformat(sep=" "))
    result = await conn.execute_query_dict(insert_sql(len(rows), False), values)
    return new_rows(rows, result)


class SqliteInboxWriter:
    """`use_process`: start the writer process (`serve`, with `INGEST_SQLITE_WRITER`)."""

    def __init__(self, *, use_process: bool) -> None:
        self._use_process = use_process
        self.process: SqliteWriter | None = None

    async def start(self) -> None:
        """Start the writer process for the open database file; if it does not start,
        batches are written in-process and it is tried again later."""
        if not self._use_process:
            return
        path = getattr(connections.get("default"), "filename", "")
        if not path or path == ":memory:" or path.startswith("file::memory:"):
            return
        self.process = SqliteWriter(path)
        await self.process.start()

    async def store(self, rows: Sequence[Row]) -> NewRows:
        if not rows:
            return []
        if self.process is None:
            return await store_in_process(rows)
        stamp = datetime.now(UTC).isoformat(sep=" ")
        try:
            result = await self.process.store(row_values(rows, stamp))
        except WriterGone:  # logged by the writer: the same rows in-process
            return await _store_again(rows)
        return new_rows(rows, (dict(zip(RESULT_KEYS, row, strict=True)) for row in result))

    async def close(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            await process.close()


async def _store_again(rows: Sequence[Row]) -> NewRows:
    """Rows the writer process may have committed before it died: store them in-process and
    count the ones already there but still pending as new too, so their jobs are queued now
    and not by the sweep a minute later (a job too many is harmless: the user's job finds
    nothing left to do)."""
    new = await store_in_process(rows)
    seen = {id(row) for row, _ in new}
    rest = [row for row in rows if id(row) not in seen]
    if not rest:
        return new
    found = await InboxEvent.filter(
        status="pending",
        channel__in=list({channel for channel, _ in rest}),
        dedupe_key__in=[item.dedupe_key for _, item in rest],
    ).values(*RESULT_KEYS)
    pending = new_rows(rest, found)
    return sorted(new + pending, key=lambda pair: pair[1])
