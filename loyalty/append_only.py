"""Append-only tables: the database itself refuses UPDATE and DELETE on them.

The draw log and its chain (promotions), the audit log and the consent ledger (privacy).
Triggers on PostgreSQL (one PL/pgSQL function, a row trigger per table) and on SQLite
(`RAISE(ABORT)` triggers). They stop the application and anyone using its database account
by mistake; an owner who drops a trigger can still edit rows, which is what the draw log's
hash chain (`loyalty.promotions.chain`) is for: `promotions verify` finds such an edit.
TRUNCATE and DROP are table-owner operations no row trigger sees (tests empty tables that
way; on SQLite they set the triggers aside).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION loyalty_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""


def pg_trigger(table: str) -> str:
    return (
        f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}";'
        f' CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}"'
        " FOR EACH ROW EXECUTE FUNCTION loyalty_append_only()"
    )


def sqlite_triggers(table: str) -> list[str]:
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{table}_no_{op.lower()}" BEFORE {op} ON "{table}"'
        f" BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
        for op in ("UPDATE", "DELETE")
    ]


def install_append_only(*tables: str) -> Callable[[Any, Any], Awaitable[None]]:
    """A migration step (`ops.RunPython`) adding the triggers to `tables` (idempotent)."""

    async def install(apps: Any, schema_editor: Any) -> None:
        client = schema_editor.client
        if client.capabilities.dialect == "postgres":
            await client.execute_script(PG_FUNCTION)
            for table in tables:
                await client.execute_script(pg_trigger(table))
            return
        for table in tables:
            for sql in sqlite_triggers(table):
                await client.execute_script(sql)

    return install
