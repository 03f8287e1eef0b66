"""Database wiring: one Tortoise config for the CLI, the server, the worker and the tests.

Two Tortoise apps keep ownership clear: `bot` (webhook inbox, outbox, platform tokens) and
`loyalty` (members and every money-like ledger). Migrations are tortoise-orm's own
(dialect-neutral operations), so one migration set serves SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from tortoise import BaseDBAsyncClient, Tortoise, connections
from tortoise.backends.base import executor
from tortoise.backends.base.client import TransactionContextPooled
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connections

APPS: dict[str, dict[str, Any]] = {
    "bot": {"models": ["bot.models"], "migrations": "bot.migrations"},
    "loyalty": {"models": ["loyalty.models"], "migrations": "loyalty.migrations"},
}


def normalize_url(url: str) -> str:
    """Tortoise wants `postgres://`; accept the common `postgresql://` spelling too."""
    if url.startswith("postgresql://"):
        return "postgres://" + url.removeprefix("postgresql://")
    return url


DEFAULT_POOL_SIZE = 20
SQLITE_ENGINE = "bot.db_sqlite"  # Tortoise's SQLite client, with `BEGIN IMMEDIATE`


async def _keep_session(conn: Any) -> None:
    """Pool reset that adds no query.

    asyncpg's default runs `RESET ALL; UNLISTEN *; CLOSE ALL; pg_advisory_unlock_all()` every
    time a connection goes back to the pool, which Tortoise does after every statement outside
    a transaction: a second round trip per query. Nothing here leaves session state behind
    (no SET, LISTEN, cursors or advisory locks), and asyncpg still rolls back an open
    transaction and drops listeners before calling this.
    """


def _undo_failed_begin(enter: Any) -> Any:
    """Tortoise 1.1's pooled transaction sets the task's connection to the transaction
    before `BEGIN`; when `BEGIN` fails (PostgreSQL killed the connection) `__aexit__` never
    runs, so the task kept a dead transaction as its connection for ever: every later query
    of that task failed with "connection is closed" (a queue worker task ran every job it
    took afterwards into it; the same symptom is tortoise/tortoise-orm#2007, still open).
    Undone here: the task's connection and the pooled one back. Drop it once fixed there."""

    async def __aenter__(self: TransactionContextPooled) -> Any:
        try:
            return await enter(self)
        except BaseException:
            token = getattr(self, "token", None)
            if token is not None:
                get_connections().reset(token)
            raw, pool = self.client._connection, self.client._parent._pool
            self.client._connection = None
            if raw is not None and pool is not None:
                # A broken connection may refuse: the pool has dropped it already then.
                with contextlib.suppress(Exception):
                    await pool.release(raw)
            raise

    __aenter__.undoes_failed_begin = True  # type: ignore[attr-defined]
    return __aenter__


if not getattr(TransactionContextPooled.__aenter__, "undoes_failed_begin", False):
    TransactionContextPooled.__aenter__ = _undo_failed_begin(  # type: ignore[method-assign]
        TransactionContextPooled.__aenter__
    )


def tortoise_config(url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> dict[str, Any]:
    """The Tortoise config for `url`; PostgreSQL gets a pool of up to `pool_size`
    connections (a `maxsize=` in the URL wins) and the light reset above."""
    url = normalize_url(url)
    connection: str | dict[str, Any] = url
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = expand_db_url(url)
        connection["engine"] = SQLITE_ENGINE  # transactions take the write lock first
    elif url.startswith(("postgres://", "asyncpg://")):
        connection = expand_db_url(url)
        credentials = connection["credentials"]
        credentials.setdefault("maxsize", pool_size)
        credentials.setdefault("reset", _keep_session)
    return {
        "connections": {"default": connection},
        "apps": {label: {**app, "default_connection": "default"} for label, app in APPS.items()},
        "use_tz": True,
        "timezone": "UTC",
    }


# For the `tortoise` CLI (`make migrations`).
TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL", "sqlite://data/app.sqlite3"))


def _forget_queries() -> None:
    """Tortoise caches each model's INSERT/DELETE texts by connection name and table, not by
    dialect: a process that opens another kind of database under the same name (the tests
    do, with the SQLite writer's; a tool could) would send SQLite's `?` to PostgreSQL."""
    executor.EXECUTOR_CACHE.clear()


async def init_db(url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> list[BaseDBAsyncClient]:
    """Open the connections; returns them so the opener can close exactly these."""
    _forget_queries()
    await Tortoise.init(config=tortoise_config(url, pool_size=pool_size))
    opened: list[BaseDBAsyncClient] = connections.all()
    return opened


async def asyncpg_pool(client: BaseDBAsyncClient | None = None) -> Any:
    """The asyncpg pool behind a PostgreSQL connection (created if it is not there yet), for
    the few places that keep a connection checked out: the inbox writer and the feeder."""
    client = client or connections.get("default")
    async with client.acquire_connection():  # Tortoise creates its pool lazily
        pass
    return client._pool


async def close_db(opened: list[BaseDBAsyncClient] | None = None) -> None:
    """Close connections. Tortoise keeps them per async context, so code that may close from
    another task (aiohttp cleanup, test teardown) passes what `init_db` returned: otherwise an
    SQLite connection thread would survive and keep the process from exiting."""
    for conn in opened or ():
        await conn.close()
    await Tortoise.close_connections()


async def upgrade(url: str) -> None:
    """Apply every pending migration of every app."""
    from tortoise.migrations.api import migrate

    _forget_queries()
    try:
        await migrate(config=tortoise_config(url))
    finally:
        await Tortoise.close_connections()
