"""The in-process queue's feeder: a burst's rows wait in the inbox, not as jobs in memory.

Without Redis the queue lives in `serve`'s memory. A job per user for every webhook of a
flash sale grew `serve` with every event, without bound in a longer burst, while the
handlers take one event at a time then anyway (`HandlerTurns`). So this does in-process what
the workers' feeder does with Redis (`feeder.InboxFeeder`): while the webhooks are under
pressure, the new rows wait in the inbox table (the durable queue anyway) and one
`drain_inbox` job walks them in order (`inbox.drain_from`). Once calm, what the burst left
is handed out as jobs per user, oldest rows first, a chunk at a time: the queue is topped up
to `calm_jobs` whenever it falls below half of that, so the handlers run in parallel again
and the queue never holds much more than `calm_jobs` jobs for a burst, however long it was.
New rows get their own jobs meanwhile, and the hand-out stops at the last row stored when
the calm began, so steady traffic after a burst does not keep it going (nor the inbox sweep,
which leaves the backlog to it, away).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.backends.memory.queue import InProcessQueue
from bot.contracts.inbox import NewRows
from bot.models import InboxEvent
from bot.pipeline.inbox import (
    DRAIN_JOB,
    DRAIN_JOB_ID,
    DRAIN_MAX_SECONDS,
    PROCESS_JOB,
    enqueue_new,
)

log = logging.getLogger("bot.pipeline.local_feeder")

PRESSURE_POLL = 0.25  # seconds between two looks at the pressure (and the queue)
# Jobs the backlog of a burst keeps queued at most, once calm: enough for the queue's workers,
# few enough that the replies' send jobs queued behind them do not wait long.
CALM_JOBS = 256


class LocalFeeder:
    """Called after each committed batch (`committed`), in the process that consumes."""

    def __init__(
        self,
        queue: InProcessQueue,
        pressed: Callable[[], Awaitable[bool]],
        *,
        poll: float = PRESSURE_POLL,
        calm_jobs: int = CALM_JOBS,
    ) -> None:
        self._queue = queue
        self._is_pressed = pressed
        self.poll = poll
        self.calm_jobs = calm_jobs
        # The first row left to the drains since the burst began (None: no backlog). Every
        # drain starts there; rows already handled are skipped by its query.
        self._burst_from: int | None = None
        self._handed = 0  # once calm: rows up to this id have been handed out as jobs
        # Once calm: the last row of the backlog (later rows got their own jobs), and the
        # count of pressed commits it was read after; a pressed commit bumps `_gen`.
        self._calm_until: int | None = None
        self._calm_gen = -1
        self._gen = 0
        self._watch: asyncio.Task[None] | None = None
        self.drains = 0  # drain jobs queued (tests read these)
        self.handed_out = 0  # jobs queued for the backlog once calm
        self.calms = 0  # backlogs handed out completely

    @property
    def in_burst(self) -> bool:
        """A burst's rows are left to the drains (the burst itself may be over)."""
        return self._burst_from is not None

    @property
    def backlog_from(self) -> int | None:
        """The first row of the burst's backlog: rows from there on are this feeder's, so
        the inbox sweep leaves them alone (it would queue a job for every one at once)."""
        return self._burst_from

    async def committed(self, new: NewRows) -> None:
        """New rows are committed: queue their users' jobs, or leave them to the drain."""
        if not new:
            return
        if not await self._pressed():
            await enqueue_new(self._queue, new)  # a drain skips users whose job is at it
            return
        self._gen += 1
        first = min(row_id for _, row_id in new)
        start = self._burst_from
        self._burst_from = first if start is None else min(start, first)
        await self._drain()
        if self._watch is None:
            self._watch = asyncio.create_task(self._watch_backlog(), name="inbox-backlog")

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None

    async def _pressed(self) -> bool:
        return await self._is_pressed()

    async def _watch_backlog(self) -> None:
        """Keep a drain going while the burst lasts (the last one may have ended at its
        deadline); once calm, hand the backlog out a chunk at a time, up to the last row
        stored when the calm began (later rows got their own jobs), then stop. A database
        error (a killed connection) is logged once and the next look tried a poll later:
        given up, the backlog would wait for the inbox sweep's minute."""
        failing = False
        try:
            while self._burst_from is not None:
                await asyncio.sleep(self.poll)
                try:
                    await self._look()
                except Exception as exc:
                    if not failing:
                        log.warning("inbox: a burst's backlog not handed out yet: %r", exc)
                    failing = True
                else:
                    failing = False
        finally:
            self._watch = None

    async def _look(self) -> None:
        start = self._burst_from
        if start is None:
            return
        gen = self._gen  # a pressed commit after this keeps the backlog open
        if await self._pressed():
            self._calm_until = None
            await self._drain()
            return
        if self._calm_until is None or self._calm_gen != gen:
            self._calm_until, self._calm_gen = await _last_id(), gen
        queued = self._queue.queued
        if queued >= self.calm_jobs // 2:
            return  # the handlers have enough to do: top up later
        after = max(start - 1, self._handed)
        rows = await self._hand_out(after, self._calm_until, self.calm_jobs - queued)
        if not rows and self._gen == gen:
            self._end()

    def _end(self) -> None:
        self._burst_from = self._calm_until = None
        self._handed = 0
        self.calms += 1

    async def _hand_out(self, after: int, upto: int, count: int) -> int:
        """Jobs for the users of the next `count` pending rows after id `after`, up to id
        `upto`; how many rows that was (0: the backlog is handed out). A job drains its
        user's rows, so a user met again in a later chunk gets a job that finds little or
        nothing left."""
        rows = (
            await InboxEvent.filter(status="pending", id__gt=after, id__lte=upto)
            .order_by("id")
            .limit(max(1, count))
            .values("id", "channel", "account_id", "user_id")
        )
        if not rows:
            return 0
        first: dict[tuple[str, str, str], int] = {}
        for r in rows:
            first.setdefault((r["channel"], r["account_id"], r["user_id"]), int(r["id"]))
        jobs = [(user, f"inbox:{row_id}") for user, row_id in first.items()]
        await self._queue.enqueue_many(PROCESS_JOB, jobs)
        self._handed = int(rows[-1]["id"])
        self.handed_out += len(jobs)
        return len(rows)

    async def _drain(self) -> None:
        """Make sure a drain walks the rows from the burst's first one on, while the burst
        lasts (the queue takes the job id once while such a job is queued or running)."""
        if self._burst_from is None:
            return
        period = int(time.time() // DRAIN_MAX_SECONDS)
        job_id = f"{DRAIN_JOB_ID}:{period}"
        if await self._queue.enqueue(DRAIN_JOB, self._burst_from, job_id=job_id):
            self.drains += 1


async def _last_id() -> int:
    row = await InboxEvent.all().order_by("-id").first().values("id")
    return int(row["id"]) if row else 0
