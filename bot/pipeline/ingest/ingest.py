"""`InboxIngest`: the webhooks' `Ingest`, one per process that takes webhooks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from aiohttp import web

from bot.contracts.inbox import InboxItem, NewRows, Row
from bot.pipeline.ingest.clean import clean_items
from bot.pipeline.ingest.group_commit import AfterFn, GroupCommit

log = logging.getLogger("bot.pipeline.ingest")
RETRY_AFTER = "1"  # seconds, for a platform that reads it (Meta and Zalo retry on their own)


class InboxWriter(Protocol):
    """Writes one batch of rows in one statement; returns the new ones with their ids."""

    async def start(self) -> None: ...

    async def store(self, rows: Sequence[Row]) -> NewRows: ...

    async def close(self) -> None: ...


class InboxIngest:
    """Clean the items, store them with everyone else's (group commit), then hand the new
    rows to `handoff` (queue their jobs, or leave them to a feeder)."""

    def __init__(
        self,
        writer: InboxWriter,
        handoff: AfterFn,
        *,
        max_inflight: int,
        min_rows: int,
        on_pressure: Callable[[], None] | None = None,
    ) -> None:
        self.writer = writer
        self.commit = GroupCommit(
            writer.store,
            handoff,
            max_inflight=max_inflight,
            min_rows=min_rows,
            on_pressure=on_pressure,
        )

    async def submit(self, channel: str, items: Sequence[InboxItem]) -> int:
        """How many items were new, once committed. Not stored (the database failed: the
        batch's one warning says why) → 503, so the platform sends the items again; nothing
        was acknowledged, and the inbox's dedupe makes a row that did commit count once."""
        kept = clean_items(channel, items)
        if not kept:
            return 0
        try:
            return await self.commit.submit(channel, kept)
        except Exception:
            log.debug("%s webhook: %d item(s) not stored, answered 503", channel, len(kept))
            raise web.HTTPServiceUnavailable(
                text="not stored, send again", headers={"Retry-After": RETRY_AFTER}
            ) from None

    def busy(self) -> bool:
        """Webhooks are queueing up for a write right now (a burst)."""
        return self.commit.busy()

    def stats(self) -> dict[str, Any]:
        """For `/readyz`: rows ÷ batches = events per INSERT."""
        c = self.commit
        return {
            "batches": c.flushes,
            "rows": c.rows,
            "in_flight": c.max_inflight,
            "min_rows": c.min_rows,
        }

    async def start(self) -> None:
        await self.writer.start()

    async def close(self) -> None:
        """Wait for the batches being written, then release the writer."""
        await self.commit.close()
        await self.writer.close()


async def no_handoff(new: NewRows) -> None:
    """The INSERT notified the workers' feeders: nothing more to do here."""
