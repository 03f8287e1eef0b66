"""Batches of import rows in a temporary table, so the writes are a few set-based statements.

PostgreSQL loads a batch with `COPY` (asyncpg's `copy_records_to_table`); SQLite with one
`executemany`. The table lives only in the import's transaction and connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

PG_TYPES = {"text": "TEXT", "int": "BIGINT", "date": "DATE", "ts": "TIMESTAMPTZ"}
SQLITE_TYPES = {"text": "TEXT", "int": "INTEGER", "date": "DATE", "ts": "TIMESTAMP"}


class Staging:
    """A temporary table `name` with `columns` [(name, kind)], kind: text, int, date, ts."""

    def __init__(
        self, tx: BaseDBAsyncClient, name: str, columns: Sequence[tuple[str, str]]
    ) -> None:
        self.tx = tx
        self.name = name
        self.columns = list(columns)
        self.pg = tx.capabilities.dialect == "postgres"

    async def create(self) -> None:
        types = PG_TYPES if self.pg else SQLITE_TYPES
        cols = ", ".join(f"{c} {types[k]}" for c, k in self.columns)
        if self.pg:
            await self.tx.execute_query(
                f"CREATE TEMP TABLE IF NOT EXISTS {self.name} ({cols}) ON COMMIT DROP"
            )
        else:
            await self.tx.execute_query(f"DROP TABLE IF EXISTS temp.{self.name}")
            await self.tx.execute_query(f"CREATE TEMP TABLE {self.name} ({cols})")
        first = self.columns[0][0]
        await self.tx.execute_query(
            f"CREATE INDEX IF NOT EXISTS {self.name}_{first} ON {self.name} ({first})"
        )

    async def drop(self) -> None:
        if not self.pg:
            await self.tx.execute_query(f"DROP TABLE IF EXISTS temp.{self.name}")

    def _cell(self, value: Any, kind: str) -> Any:
        if value is None or self.pg:
            return value
        if kind == "ts" and isinstance(value, datetime):
            return value.astimezone(UTC).isoformat(sep=" ")
        if kind == "date" and isinstance(value, date):
            return value.isoformat()
        return value

    async def load(self, rows: Sequence[Sequence[Any]]) -> None:
        """Replace the table's rows with `rows` (tuples in column order). On PostgreSQL a
        TRUNCATE, not a DELETE: deleted rows stay until the transaction ends, and one import
        is one transaction, so every batch would scan all the earlier ones."""
        empty = "TRUNCATE" if self.pg else "DELETE FROM"
        await self.tx.execute_query(f"{empty} {self.name}")
        if not rows:
            return
        names = [c for c, _ in self.columns]
        if self.pg:
            conn: Any = self.tx._connection
            await conn.copy_records_to_table(self.name, records=rows, columns=names)
            await self.tx.execute_query(f"ANALYZE {self.name}")
            return
        kinds = [k for _, k in self.columns]
        marks = ", ".join("?" for _ in names)
        await self.tx.execute_many(
            f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({marks})",
            [[self._cell(v, k) for v, k in zip(row, kinds, strict=True)] for row in rows],
        )
