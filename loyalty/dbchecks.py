"""Create the CHECK constraints declared in `Meta.constraints`, on SQLite and PostgreSQL.

tortoise-orm 1.1.9 records CHECK constraints in the migration state but `CreateModel` does not
emit them, and its SQLite `AddConstraint` rebuilds the table without its composite unique
constraints and indexes. The initial migration therefore ends with a `RunPython` step that
calls `install_check_constraints`: PostgreSQL gets `ALTER TABLE … ADD CONSTRAINT`, SQLite gets
a careful rebuild that keeps the table's original DDL, rows and indexes. Both are idempotent.
"""

from __future__ import annotations

from typing import Any

from tortoise.migrations.constraints import CheckConstraint


def _checks_by_table(apps: Any, app_label: str) -> dict[str, list[CheckConstraint]]:
    out: dict[str, list[CheckConstraint]] = {}
    for model in apps[app_label].values():
        checks = [c for c in model._meta.constraints if isinstance(c, CheckConstraint)]
        if checks:
            out[model._meta.db_table] = checks
    return out


async def install_check_constraints(
    apps: Any, schema_editor: Any, app_label: str = "loyalty"
) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    for table, checks in _checks_by_table(apps, app_label).items():
        if dialect == "sqlite":
            await _sqlite_add_checks(client, table, checks)
        else:
            await _pg_add_checks(client, table, checks)


async def _pg_add_checks(client: Any, table: str, checks: list[CheckConstraint]) -> None:
    rows = await client.execute_query_dict(
        "SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'",
        [f'"{table}"'],
    )
    existing = {r["conname"] for r in rows}
    for check in checks:
        if check.name not in existing:
            await client.execute_script(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{check.name}" CHECK ({check.check})'
            )


async def _sqlite_add_checks(client: Any, table: str, checks: list[CheckConstraint]) -> None:
    rows = await client.execute_query_dict(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL", [table]
    )
    table_sql = next(r["sql"] for r in rows if r["type"] == "table")
    index_sqls = [r["sql"] for r in rows if r["type"] == "index"]
    missing = [c for c in checks if f'"{c.name}"' not in table_sql]
    if not missing:
        return
    body_end = table_sql.rstrip().rstrip(";").rstrip()
    if not body_end.endswith(")"):
        raise RuntimeError(f"unexpected DDL for {table}: {table_sql}")
    extra = "".join(f',\n    CONSTRAINT "{c.name}" CHECK ({c.check})' for c in missing)
    new_table = f"new__{table}"
    _head, sep, rest = body_end.partition("(")
    new_sql = f'CREATE TABLE "{new_table}" {sep}{rest[:-1].rstrip()}{extra}\n)'
    await client.execute_script("PRAGMA defer_foreign_keys = ON")
    await client.execute_script(new_sql)
    await client.execute_script(f'INSERT INTO "{new_table}" SELECT * FROM "{table}"')
    await client.execute_script(f'DROP TABLE "{table}"')
    await client.execute_script(f'ALTER TABLE "{new_table}" RENAME TO "{table}"')
    for sql in index_sqls:
        await client.execute_script(sql)
