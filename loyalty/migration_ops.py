"""Hand-written schema steps for migrations where tortoise-orm's own operations fall short.

tortoise-orm 1.1.9 cannot change a composite unique constraint on SQLite (it tries to drop an
index that is really part of the table's DDL). A migration then records the new model state
with `StateOnly(...)` and changes the database with a `RunPython` step from here, written for
each dialect.
"""

from __future__ import annotations

from typing import Any

from tortoise.migrations.operations import TortoiseOperation


class StateOnly(TortoiseOperation):
    """Apply an operation to the migration state only; a `RunPython` step does the DDL."""

    def __init__(self, operation: TortoiseOperation) -> None:
        self.operation = operation

    def describe(self) -> str:
        return f"{self.operation.describe()} (state only)"

    def state_forward(self, app_label: str, state: Any) -> None:
        self.operation.state_forward(app_label, state)


PRIZE_STOCK_SHARDED_SQLITE = """
CREATE TABLE "new__prize_stock" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "game_id" VARCHAR(64) NOT NULL,
    "prize_id" VARCHAR(64) NOT NULL,
    "shard" SMALLINT NOT NULL DEFAULT 0,
    "stock_total" INT NOT NULL,
    "remaining" INT NOT NULL,
    "awarded" INT NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    CONSTRAINT "uid_prize_stock_game_prize_shard" UNIQUE ("game_id", "prize_id", "shard"),
    CONSTRAINT "prize_stock_remaining_nonneg" CHECK (remaining >= 0),
    CONSTRAINT "prize_stock_awarded_nonneg" CHECK (awarded >= 0)
)
"""
_COLUMNS = '"id", "game_id", "prize_id", "stock_total", "remaining", "awarded", "updated_at"'


async def shard_prize_stock(apps: Any, schema_editor: Any) -> None:
    """`prize_stock` gets a `shard` column (existing rows: shard 0, holding the whole stock)
    and its unique key becomes (game_id, prize_id, shard)."""
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script(PRIZE_STOCK_SHARDED_SQLITE)
        await client.execute_script(
            f'INSERT INTO "new__prize_stock" ({_COLUMNS}, "shard")'
            f' SELECT {_COLUMNS}, 0 FROM "prize_stock"'
        )
        await client.execute_script('DROP TABLE "prize_stock"')
        await client.execute_script('ALTER TABLE "new__prize_stock" RENAME TO "prize_stock"')
        return
    await client.execute_script(
        'ALTER TABLE "prize_stock" ADD COLUMN "shard" SMALLINT NOT NULL DEFAULT 0'
    )
    rows = await client.execute_query_dict(
        "SELECT conname FROM pg_constraint"
        " WHERE conrelid = '\"prize_stock\"'::regclass AND contype = 'u'"
    )
    for row in rows:
        await client.execute_script(
            f'ALTER TABLE "prize_stock" DROP CONSTRAINT "{row["conname"]}"'
        )
    await client.execute_script(
        'ALTER TABLE "prize_stock" ADD CONSTRAINT "uid_prize_stock_game_prize_shard"'
        ' UNIQUE ("game_id", "prize_id", "shard")'
    )


async def queue_existing_draws(apps: Any, schema_editor: Any) -> None:
    """Draws logged before the hash chain existed (0004) wait to be sealed like new ones."""
    await schema_editor.client.execute_script(
        'INSERT INTO "draw_unsealed" ("draw_log_id", "game_id")'
        ' SELECT "id", "game_id" FROM "draw_log" ORDER BY "id"'
    )
