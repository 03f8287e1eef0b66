"""Shared fixtures: a fresh database per test session (PostgreSQL when TEST_DATABASE_URL is
set, a SQLite file otherwise), clean tables per test, and settings pointing at them.

Tests never flush Redis: every test gets its own key prefix, so several test runs can share
one server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from tortoise import Tortoise, connections

from bot.db import init_db, normalize_url, upgrade
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def _admin_url(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


async def _pg_exec(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(normalize_url(url).replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this test session."""
    if TEST_DATABASE_URL.startswith(("postgres://", "postgresql://")):
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = _admin_url(TEST_DATABASE_URL, "postgres")
        asyncio.run(_pg_exec(admin, f'CREATE DATABASE "{name}"'))
        url = _admin_url(normalize_url(TEST_DATABASE_URL), name)
        asyncio.run(upgrade(url))
        yield url
        asyncio.run(_pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        url = f"sqlite://{path}"
        asyncio.run(upgrade(url))
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once by `python -m bot db upgrade` in a process of its
    own (whatever the session's database is): tests that need SQLite itself (the writer
    process, cross-process locking) copy it. Migrating inside the test process again was
    also where CPython 3.11's ast.parse (Tortoise reads model docstrings through inspect)
    failed now and then with "AST constructor recursion depth mismatch"."""
    path = tmp_path_factory.mktemp("sqlite-template") / "app.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite://{path}", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env, cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return path


@pytest.fixture
def sqlite_file(sqlite_template: Path, tmp_path: Path) -> Path:
    """A fresh, migrated SQLite database file for this test."""
    path = tmp_path / "app.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return path


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgres://")


async def truncate_all() -> None:
    conn = connections.get("default")
    tables = [
        model._meta.db_table
        for app in Tortoise.apps.values()
        for model in app.values()
        if not model._meta.abstract
    ]
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        # Append-only tables refuse DELETE by trigger: set the triggers aside meanwhile
        # (PostgreSQL's TRUNCATE fires no row trigger).
        triggers = await conn.execute_query_dict(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        )
        drops = "".join(f'DROP TRIGGER "{t["name"]}"; ' for t in triggers)
        deletes = "; ".join(f"DELETE FROM {table}" for table in tables)
        creates = "".join(f"; {t['sql']}" for t in triggers)
        await conn.execute_script(
            f"PRAGMA foreign_keys=OFF; {drops}{deletes}{creates}; PRAGMA foreign_keys=ON"
        )


@pytest.fixture
async def clean_db(database_url: str) -> str:
    """Empty every table, then let the code under test (e.g. the app) open its own connection."""
    await init_db(database_url)
    await truncate_all()
    await Tortoise.close_connections()
    return database_url


@pytest.fixture
async def db(clean_db: str) -> AsyncIterator[str]:
    """Clean tables and an open Tortoise connection for direct model use in the test."""
    await init_db(clean_db)
    yield clean_db
    await Tortoise.close_connections()


@pytest.fixture
def redis_url() -> str:
    return TEST_REDIS_URL


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest, redis_url: str) -> str:
    """The job queue and stores a test runs on: in-process, then Redis (skipped without
    TEST_REDIS_URL). `tests/bot/core` overrides it with ready-made storage objects."""
    if request.param == "redis" and not redis_url:
        pytest.skip("TEST_REDIS_URL is not set")
    return str(request.param)


@pytest.fixture
def redis_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}:"


@pytest.fixture
def content_path(tmp_path: Path) -> Path:
    """A private copy of the demo content file, safe to edit in a test."""
    dst = tmp_path / "content.yaml"
    shutil.copy(ROOT / "config" / "content.yaml", dst)
    assets = ROOT / "assets"
    if assets.exists() and not (tmp_path / "assets").exists():
        (tmp_path / "assets").symlink_to(assets)
    return dst


@pytest.fixture
def make_settings(
    tmp_path: Path, database_url: str, content_path: Path, redis_prefix: str
) -> Callable[..., Settings]:
    """Settings for a test: this session's database, a temp data dir, no credentials."""

    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "DATABASE_URL": database_url,
            "REDIS_URL": "",
            "REDIS_PREFIX": redis_prefix,
            "DATA_DIR": tmp_path / "data",
            "CONTENT_PATH": content_path,
            "SESSION_SECRET": "test-session-secret",
            "PUBLIC_BASE_URL": "http://127.0.0.1:8080",
            # Hundreds of apps start in a test run: only the tests of it draw ahead.
            "WARM_RENDERS": False,
        }
        values.update(overrides)
        return load_settings(_env_file=None, **values)

    return factory
