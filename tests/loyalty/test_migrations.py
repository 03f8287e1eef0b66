"""Upgrading a database that already holds prize stock: 0002 splits `prize_stock` into shards
without losing a unit, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tortoise import Tortoise, connections
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate

from bot.db import init_db, normalize_url, tortoise_config
from tests.conftest import TEST_DATABASE_URL, _admin_url, _pg_exec


@pytest.fixture
async def empty_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables yet (its own, not the session's migrated one)."""
    if not TEST_DATABASE_URL.startswith(("postgres://", "postgresql://")):
        yield f"sqlite://{tmp_path / 'old.sqlite3'}"
        return
    name = f"mig_{uuid.uuid4().hex[:12]}"
    admin = _admin_url(TEST_DATABASE_URL, "postgres")
    await _pg_exec(admin, f'CREATE DATABASE "{name}"')
    try:
        yield _admin_url(normalize_url(TEST_DATABASE_URL), name)
    finally:
        await _pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _migrate(url: str, target: str | None = None) -> None:
    try:
        await migrate(config=tortoise_config(url), target=target)
    finally:
        await Tortoise.close_connections()


async def test_0002_keeps_existing_stock_as_shard_zero(empty_url: str) -> None:
    await _migrate(empty_url, "loyalty.0001_initial")
    await init_db(empty_url)
    conn = connections.get("default")
    await conn.execute_script(
        "INSERT INTO prize_stock (game_id, prize_id, stock_total, remaining, awarded, updated_at)"
        " VALUES ('wheel', 'v50k', 10, 7, 3, CURRENT_TIMESTAMP)"
    )
    await Tortoise.close_connections()

    await _migrate(empty_url)

    await init_db(empty_url)
    try:
        conn = connections.get("default")
        rows = await conn.execute_query_dict(
            "SELECT game_id, prize_id, shard, stock_total, remaining, awarded FROM prize_stock"
        )
        assert rows == [
            {
                "game_id": "wheel",
                "prize_id": "v50k",
                "shard": 0,
                "stock_total": 10,
                "remaining": 7,
                "awarded": 3,
            }
        ]
        insert = (
            "INSERT INTO prize_stock"
            " (game_id, prize_id, shard, stock_total, remaining, awarded, updated_at)"
            " VALUES ('wheel', 'v50k', {shard}, 10, {remaining}, 0, CURRENT_TIMESTAMP)"
        )
        await conn.execute_script(insert.format(shard=1, remaining=0))  # a second shard: fine
        with pytest.raises(IntegrityError):  # the same shard twice: refused
            await conn.execute_script(insert.format(shard=1, remaining=0))
        with pytest.raises(IntegrityError):  # the CHECK survived the table rebuild
            await conn.execute_script(insert.format(shard=2, remaining=-1))
    finally:
        await Tortoise.close_connections()


async def test_0004_queues_old_draws_for_sealing_and_protects_the_log(empty_url: str) -> None:
    await _migrate(empty_url, "loyalty.0002_prize_stock_shards")
    await init_db(empty_url)
    conn = connections.get("default")
    await conn.execute_script(
        "INSERT INTO draw_log (play_id, member_id, member_code, game_id, game_version,"
        " available, rng, roll, drawn_prize_id, prize_id, is_win, detail, created_at)"
        " VALUES (7, 1, 'ABC', 'wheel', 'v1', '{}', 'SystemRandom', 0.5, 'none', 'none',"
        " false, NULL, CURRENT_TIMESTAMP)"
    )
    await Tortoise.close_connections()

    await _migrate(empty_url)

    await init_db(empty_url)
    try:
        from loyalty.promotions import chain

        conn = connections.get("default")
        assert await conn.execute_query_dict("SELECT game_id FROM draw_unsealed") == [
            {"game_id": "wheel"}
        ]
        result = await chain.verify("wheel")
        assert result.ok and result.draws == 1
        with pytest.raises(Exception, match="append-only"):
            await conn.execute_script("DELETE FROM draw_log")
    finally:
        await Tortoise.close_connections()
