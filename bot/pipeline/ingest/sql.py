"""The inbox's batch INSERT, one text per batch size, shared by `serve` and the SQLite writer.

No ORM and no driver imports, so that the SQLite writer process (`sqlite_writer_proc`)
starts small and writes exactly the statement `serve` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from bot import fastjson
from bot.contracts.inbox import NewRows, Row

COLUMNS = 7  # channel, account_id, user_id, dedupe_key, event_name, body, received_at


@lru_cache(maxsize=512)
def insert_sql(count: int, postgres: bool, notify: bool = False) -> str:
    """The INSERT for `count` rows (one text per batch size: drivers prepare each once).

    With `notify` (PostgreSQL only), the same statement also sends `pg_notify(channel,
    "<first id> <last id>")` when it stored anything, the channel name being the last
    parameter: the workers' feeder queues the jobs, and the webhook makes no Redis call.
    The notification is delivered on commit, so a feeder never sees rows it cannot read.
    """
    marks = []
    for row in range(count):
        places = [f"${row * COLUMNS + i}" if postgres else "?" for i in range(1, COLUMNS + 1)]
        marks.append(f"({', '.join(places)}, 'pending', 0)")
    insert = (
        "INSERT INTO inbox_event (channel, account_id, user_id, dedupe_key, event_name, body,"
        " received_at, status, attempts) VALUES "
        + ", ".join(marks)
        + " ON CONFLICT (channel, dedupe_key) DO NOTHING RETURNING id, channel, dedupe_key"
    )
    if not notify:
        return insert
    return (
        f"WITH ins AS ({insert}) SELECT ins.id, ins.channel, ins.dedupe_key FROM ins CROSS JOIN"
        f" (SELECT pg_notify(${count * COLUMNS + 1}, min(id) || ' ' || max(id)) FROM ins"
        " HAVING count(*) > 0) AS wake"
    )


def row_values(rows: Sequence[Row], stamp: Any) -> list[Any]:
    """The INSERT's parameters for `rows`, `COLUMNS` per row."""
    values: list[Any] = []
    for channel, item in rows:
        values += [
            channel,
            item.account_id,
            item.user_id,
            item.dedupe_key,
            item.event_name,
            fastjson.dumps(item.body),
            stamp,
        ]
    return values


def new_rows(rows: Sequence[Row], result: Iterable[Mapping[str, Any]]) -> NewRows:
    """The rows the INSERT reported back as new, with their ids (a key repeated in `rows`
    is new once)."""
    ids = {(r["channel"], r["dedupe_key"]): int(r["id"]) for r in result}
    new: NewRows = []
    for row in rows:
        row_id = ids.pop((row[0], row[1].dedupe_key), None)
        if row_id is not None:
            new.append((row, row_id))
    return new
