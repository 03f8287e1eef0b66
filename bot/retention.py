"""Retention: webhook and outbox rows (message texts, phone numbers) kept only so long.

`purge_expired(now, days)` deletes, from the oldest up:

- `inbox_event` rows received before `now - days` and finished (`done` or `failed`);
- `outbox_message` rows created before then and finished (`sent`, `failed`, `skipped`, ...:
  anything but `pending`);
- `skipped_send` rows created before then.

Pending rows are never purged (they are work not yet done). Rows are walked by primary key,
oldest first, in batches of `batch` ids: ids grow with time, so a run reads the expired prefix
and one batch more through the primary key, with no index on the timestamps (which would cost
every webhook insert) and no statement that locks millions of rows at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.models import Model

from bot.models import InboxEvent, OutboxMessage, SkippedSend

BATCH = 1000


@dataclass(frozen=True, slots=True)
class Purged:
    inbox: int
    outbox: int
    skipped: int

    def as_dict(self) -> dict[str, int]:
        return {"inbox": self.inbox, "outbox": self.outbox, "skipped": self.skipped}


async def _purge(
    model: type[Model], time_field: str, cutoff: datetime, keep: Any, batch: int
) -> int:
    """Delete the rows older than `cutoff` whose status is not in `keep`, oldest first."""
    removed, cursor = 0, 0
    fields = ["id", time_field] + (["status"] if keep else [])
    while True:
        rows = await model.filter(id__gt=cursor).order_by("id").limit(batch).values(*fields)
        if not rows:
            return removed
        expired = [r for r in rows if r[time_field] < cutoff]
        doomed = [r["id"] for r in expired if not keep or r["status"] not in keep]
        if doomed:
            removed += await model.filter(id__in=doomed).delete()
        if len(expired) < len(rows):  # reached rows newer than the cutoff
            return removed
        cursor = rows[-1]["id"]


async def purge_expired(now: datetime, days: int, *, batch: int = BATCH) -> Purged:
    """Purge what is older than `days` at `now` (see the module docstring); the counts."""
    if days < 1:
        raise ValueError("days must be at least 1")
    cutoff = now - timedelta(days=days)
    pending = frozenset({"pending", "processing"})
    inbox = await _purge(InboxEvent, "received_at", cutoff, pending, batch)
    outbox = await _purge(OutboxMessage, "created_at", cutoff, frozenset({"pending"}), batch)
    skipped = await _purge(SkippedSend, "created_at", cutoff, None, batch)
    return Purged(inbox, outbox, skipped)


def purge_job(days: int) -> Callable[[dict[str, Any]], Awaitable[int]]:
    """The scheduler's job (`bot.jobs.register_jobs` schedules it): purge what is older
    than `days` (`MESSAGE_RETENTION_DAYS`) at the current time."""

    async def purge_messages(ctx: dict[str, Any]) -> int:
        purged = await purge_expired(datetime.now(UTC), days)
        return purged.inbox + purged.outbox + purged.skipped

    return purge_messages
