"""The outreach scheduler: one periodic job (`SCHEDULER_TICK_SECONDS`) on the queue.

Each tick releases due broadcasts (scheduled ones whose `send_at` has come; those held by
quiet hours once the hours are over) and queues one send job per broadcast being sent and
parallel slot. Ticks are safe with several workers: the queue runs one tick per period
(Redis: one per slot across workers), status changes are conditional updates, and the send
jobs share a broadcast's rows through the claim (`FOR UPDATE SKIP LOCKED`). A send job that
died is simply queued again by the next tick; its stale claims are recovered. The journeys
work hangs its due steps on the same tick (`extra`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.backends.base import JobQueue
from bot.models import Broadcast
from bot.outreach.broadcasts import BroadcastSender
from bot.outreach.policy import in_quiet_hours

log = logging.getLogger("bot.outreach.scheduler")

TICK_JOB = "outreach_tick"
SEND_JOB = "send_broadcast"


class Scheduler:
    def __init__(
        self,
        *,
        sender: BroadcastSender,
        queue: JobQueue,
        clock: Callable[[], datetime],
        parallel: int = 2,
        extra: Sequence[Callable[[datetime], Awaitable[int]]] = (),
    ) -> None:
        self.sender = sender
        self.queue = queue
        self.clock = clock
        self.parallel = parallel
        self.extra = tuple(extra)

    async def release(self, now: datetime) -> int:
        """Scheduled → sending (or waiting in quiet hours); waiting → sending after them."""
        quiet = in_quiet_hours(self.sender.rules(), now) is not None
        released = 0
        for row in await Broadcast.filter(status="scheduled", send_at__lte=now):
            held = row.purpose == "promotion" and quiet
            released += await Broadcast.filter(id=row.id, status="scheduled").update(
                status="waiting" if held else "sending"
            )
        if not quiet:
            released += await Broadcast.filter(status="waiting").update(status="sending")
        return released

    async def tick(self) -> int:
        """One pass: release, then queue the send jobs. Returns how many jobs were queued."""
        now = self.clock()
        await self.release(now)
        queued = 0
        rows = await Broadcast.filter(status="sending").order_by("id").values("id")
        for broadcast_id in (int(r["id"]) for r in rows):
            for slot in range(self.parallel):
                queued += await self.queue.enqueue(
                    SEND_JOB, int(broadcast_id), job_id=f"broadcast:{broadcast_id}:{slot}"
                )
        for step in self.extra:
            await step(now)
        return queued

    async def send(self, broadcast_id: int) -> int:
        """The send job: this worker's share of one broadcast."""
        result = await self.sender.run(broadcast_id)
        log.info(
            "broadcast %s: sent %d, failed %d, skipped %s",
            broadcast_id,
            result.sent,
            result.failed,
            dict(result.skipped) or "-",
        )
        return result.sent
