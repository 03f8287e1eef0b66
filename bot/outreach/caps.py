"""The weekly promotion cap's count: how many promotions each member was sent since a
moment, across every source that sends them (broadcasts, journeys, …).

One function, one statement: a UNION ALL over the sources, each a SELECT of
`(member_id, sent_at)` for promotions actually sent, grouped once. Adding a source is one
more entry in `SOURCES`; nothing else changes.
Every source needs an index that starts with `member_id` (and covers `sent_at`), as
`broadcast_recipient (member_id, purpose, sent_at)` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from loyalty import rawsql

SOURCES: tuple[str, ...] = (
    # broadcasts: a recipient row is `sent` once the platform accepted it
    "SELECT member_id, sent_at FROM broadcast_recipient"
    " WHERE status = 'sent' AND purpose = 'promotion'",
    # journeys: a `send` step's run is `sent` once the platform accepted it
    # (index journey_step_run (member_id, purpose, sent_at))
    "SELECT member_id, sent_at FROM journey_step_run WHERE status = 'sent'"
    " AND purpose = 'promotion'",
)


async def promotions_sent(member_ids: Sequence[int], since: datetime) -> dict[int, int]:
    """Promotions sent to each of `member_ids` at or after `since` (absent = none)."""
    if not member_ids:
        return {}
    marks = ",".join("?" * len(member_ids))
    parts = [f"{src} AND sent_at >= ? AND member_id IN ({marks})" for src in SOURCES]
    args: list[object] = []
    for _ in SOURCES:
        args += [since, *member_ids]
    rows = await rawsql.fetch(
        "SELECT member_id, COUNT(*) AS n FROM (" + " UNION ALL ".join(parts) + ") AS sent"
        " GROUP BY member_id",
        *args,
    )
    return {int(r["member_id"]): int(r["n"]) for r in rows}
