"""Indexes the reports need, created by migration 0004 outside the models' state.

`pos_order (member_id, paid_at)`: the cohort report reads every paid order per member and
month, and the games report a player's orders after a date. Without it PostgreSQL hashes a
million orders into 700,000 member-months (4.3 s in bench/reports.py); with it the orders
stream in member order (1.5 s), and on PostgreSQL `amount` and `status` ride along in the
index (INCLUDE), so the heap is not read at all. Not declared on the `Order` model because
Tortoise cannot express INCLUDE; a migration that drops it must say so.
"""

from __future__ import annotations

from typing import Any

PG_ORDER_INDEX = (
    'CREATE INDEX IF NOT EXISTS "pos_order_member_paid" ON "pos_order" (member_id, paid_at)'
    " INCLUDE (amount, status)"
)
SQLITE_ORDER_INDEX = (
    'CREATE INDEX IF NOT EXISTS "pos_order_member_paid" ON "pos_order" (member_id, paid_at)'
)


async def install_report_indexes(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    await client.execute_script(PG_ORDER_INDEX if postgres else SQLITE_ORDER_INDEX)
