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

APPS: dict[str, dict[str, Any]] = {
    "bot": {"models": ["bot.models"], "migrations": "bot.migrations"},
    "loyalty": {"models": ["loyalty.models"], "migrations": "loyalty.migrations"},
}


def normalize_url(url: str) -> str:
    """Tortoise wants `postgres://`; accept the common `postgresql://` spelling too."""
    if url.startswith("postgresql://"):
        return "postgres://" + url.removeprefix("postgresql://")
    return url


def tortoise_config(url: str) -> dict[str, Any]:
    url = normalize_url(url)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": url},
        "apps": {label: {**app, "default_connection": "default"} for label, app in APPS.items()},
        "use_tz": True,
        "timezone": "UTC",
    }


# For the `tortoise` CLI (`make migrations`).
TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL", "sqlite://data/app.sqlite3"))


async def init_db(url: str) -> list[BaseDBAsyncClient]:
    """Open the connections; returns them so the opener can close exactly these."""
    await Tortoise.init(config=tortoise_config(url))
    return connections.all()


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

    try:
        await migrate(config=tortoise_config(url))
    finally:
        await Tortoise.close_connections()
