"""Append-only tables: the database itself refuses UPDATE and DELETE on the draw log.

Triggers on PostgreSQL (one PL/pgSQL function, a row trigger per table) and on SQLite
(`RAISE(ABORT)` triggers). They stop the application and anyone using its database account
by mistake; an owner who drops a trigger can still edit rows, which is what the hash chain
(`loyalty.promotions.chain`) is for: `promotions verify` finds such an edit.
TRUNCATE and DROP are table-owner operations no row trigger sees (tests empty tables that way).
"""

from __future__ import annotations

from typing import Any

APPEND_ONLY_TABLES = ("draw_log", "draw_chain")

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
        f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}"'
        " FOR EACH ROW EXECUTE FUNCTION loyalty_append_only()"
    )


def sqlite_triggers(table: str) -> list[str]:
    return [
        f'CREATE TRIGGER "{table}_no_{op.lower()}" BEFORE {op} ON "{table}"'
        f" BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
        for op in ("UPDATE", "DELETE")
    ]


async def install_append_only(apps: Any, schema_editor: Any) -> None:
    """The migration step (0004): triggers on every append-only table."""
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(PG_FUNCTION)
        for table in APPEND_ONLY_TABLES:
            await client.execute_script(pg_trigger(table))
        return
    for table in APPEND_ONLY_TABLES:
        for sql in sqlite_triggers(table):
            await client.execute_script(sql)
