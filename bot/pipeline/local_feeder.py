"""The in-process queue's feeder: a burst's rows wait in the inbox, not as jobs in memory.

Without Redis the queue lives in `serve`'s memory. A job per user for every webhook of a
flash sale grew `serve` by about 400 bytes an event (47 MB over 120,000 events in the
bench), without bound in a longer burst, while the handlers take one event at a time then
anyway (`HandlerTurns`). So this does in-process what the workers' feeder does with Redis
(`feeder.InboxFeeder`): while the webhooks are under pressure, the new rows wait in the inbox
table (the durable queue anyway) and one `drain_inbox` job walks them in order
(`inbox.drain_from`). Once calm, the drain goes on at full speed through what the burst left
(new rows get their own jobs meanwhile), until at most `calm_jobs` rows are left: then every
user with one of them gets a job, as outside a burst. So the queue never holds more than
about `calm_jobs` jobs for a burst, however long it was.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from tortoise.functions import Min

from bot.models import InboxEvent
from bot.pipeline.inbox import (
    DRAIN_JOB,
    DRAIN_JOB_ID,
    DRAIN_MAX_SECONDS,
    PROCESS_JOB,
    NewRows,
    enqueue_new,
)

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot.pipeline.local_feeder")

PRESSURE_POLL = 0.25  # seconds between two looks at the pressure (and the backlog)
CALM_JOBS = 10_000  # a backlog this small is handed out as one job per user


class LocalFeeder:
    """Called after each committed batch (`committed`), in the process that consumes."""

    def __init__(
        self, runtime: Runtime, *, poll: float = PRESSURE_POLL, calm_jobs: int = CALM_JOBS
    ) -> None:
        self.runtime = runtime
        self.poll = poll
        self.calm_jobs = calm_jobs
        # The first row left to the drains since the burst began (None: no burst backlog).
        # Every drain starts there; rows already handled are skipped by its query.
        self._burst_from: int | None = None
        self._watch: asyncio.Task[None] | None = None
        self.drains = 0  # drain jobs queued (tests read these)
        self.calms = 0  # backlogs handed out as jobs per user

    @property
    def in_burst(self) -> bool:
        """A burst's rows are left to the drains (the burst itself may be over)."""
        return self._burst_from is not None

    async def committed(self, new: NewRows) -> None:
        """New rows are committed: queue their users' jobs, or leave them to the drain."""
        if not new:
            return
        if not await self._pressed():
            await enqueue_new(self.runtime, new)  # a drain skips users whose job is at it
            return
        first = min(row_id for _, row_id in new)
        start = self._burst_from
        self._burst_from = first if start is None else min(start, first)
        await self._drain(gated=True)
        if self._watch is None:
            self._watch = asyncio.create_task(self._watch_backlog(), name="inbox-backlog")

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None

    async def _pressed(self) -> bool:
        turns = self.runtime.handler_turns
        return turns is not None and await turns.pressed()

    async def _watch_backlog(self) -> None:
        """Keep a drain going while the burst lasts (the last one may have ended at its
        deadline) and after it, until the backlog is small enough for jobs per user."""
        try:
            while (start := self._burst_from) is not None:
                await asyncio.sleep(self.poll)
                if await self._pressed():
                    await self._drain(gated=True)
                    continue
                left = await InboxEvent.filter(status="pending", id__gte=start).count()
                if left > self.calm_jobs:
                    await self._drain(gated=False)  # the burst is over: full speed
                    continue
                self._burst_from = None
                self.calms += 1
                await queue_pending_users(self.runtime, from_id=start)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The rows stay pending: the inbox sweep (`recover_inbox`) queues them.
            log.exception("inbox: the backlog of a burst could not be handed out")
            self._burst_from = None
        finally:
            self._watch = None

    async def _drain(self, *, gated: bool) -> None:
        """Make sure a drain walks the rows from the burst's first one on (the queue takes
        the job id once while such a job is queued or running). `gated`: it stops when the
        burst does; otherwise it goes on until it has caught up (or its deadline)."""
        if self._burst_from is None:
            return
        period = int(time.time() // DRAIN_MAX_SECONDS)
        queue = self.runtime.backends.queue
        job_id = f"{DRAIN_JOB_ID}:{period}"
        if await queue.enqueue(DRAIN_JOB, self._burst_from, gated, job_id=job_id):
            self.drains += 1


async def queue_pending_users(runtime: Runtime, *, from_id: int = 0) -> int:
    """One job per user with pending rows from `from_id` on, named by its first such row."""
    rows = (
        await InboxEvent.filter(status="pending", id__gte=from_id)
        .annotate(first=Min("id"))
        .group_by("channel", "account_id", "user_id")
        .values("channel", "account_id", "user_id", "first")
    )
    jobs = [((r["channel"], r["account_id"], r["user_id"]), f"inbox:{r['first']}") for r in rows]
    if jobs:
        await runtime.backends.queue.enqueue_many(PROCESS_JOB, jobs)
    return len(jobs)
