"""Database wiring: one Tortoise config for the CLI, the server, the worker and the tests.

Two Tortoise apps keep ownership clear: `bot` (webhook inbox, outbox, platform tokens) and
`loyalty` (members and every money-like ledger). Migrations are tortoise-orm's own
(dialect-neutral operations), so one migration set serves SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tortoise import BaseDBAsyncClient, Tortoise, connections
from tortoise.backends.base import executor
from tortoise.backends.base.config_generator import expand_db_url

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
