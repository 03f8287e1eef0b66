"""Database guards for append-only tables (the audit log, the consent ledger).

The models already refuse `save()` of a stored row and `delete()`; these triggers make the
database refuse too, so a stray query cannot rewrite history. UPDATE is refused on both
dialects; DELETE on PostgreSQL only: the SQLite test fixtures empty tables with `DELETE FROM`,
while PostgreSQL's `TRUNCATE` (what the fixtures and an operator's reset use there) fires no
row trigger.
"""

from __future__ import annotations

from typing import Any

APPEND_ONLY_TABLES = ("audit_entry", "consent_record")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_append_only_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql
"""


async def install_append_only(apps: Any, schema_editor: Any) -> None:
    """Add the triggers (idempotent)."""
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        for table in APPEND_ONLY_TABLES:
            await client.execute_script(
                f'CREATE TRIGGER IF NOT EXISTS "{table}_no_update" BEFORE UPDATE ON "{table}"'
                f" BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
            )
        return
    await client.execute_script(_PG_FUNCTION)
    for table in APPEND_ONLY_TABLES:
        await client.execute_script(
            f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}";'
            f' CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}"'
            " FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()"
        )
