"""Tortoise's SQLite engine, with every transaction taking the write lock when it begins.

Tortoise opens SQLite transactions with a plain (deferred) `BEGIN`: the transaction reads
from a snapshot and asks for the write lock at its first write. Inside one process that is
safe, because Tortoise runs one transaction at a time on its single connection. But `serve`
is not the only writer: the inbox writer process (`bot.pipeline.ingest.sqlite_writer`) commits
webhook batches, and CLI commands may run beside it. A deferred transaction whose snapshot
another process has committed past cannot upgrade at all (SQLite answers SQLITE_BUSY at
once, without waiting), so a play or an order would fail under load. `BEGIN IMMEDIATE`
takes the write lock first, waiting for it (the connection's busy timeout), and then nothing
can commit under the transaction: it behaves exactly as it did alone.

Used through `bot.db.tortoise_config` as the engine of every `sqlite://` URL.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    """A Tortoise SQLite transaction that begins with `BEGIN IMMEDIATE`."""

    async def begin(self) -> None:
        try:
            await self._connection.commit()  # no-op unless a statement left one open
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    """Tortoise's SQLite client whose transactions take the write lock up front."""

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient
