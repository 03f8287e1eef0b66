"""Every job the queue runs, in one place (the `worker` command and in-process mode).

Each job is a closure over the part that does the work; the queue's `ctx` is not used.
"""

from __future__ import annotations

from typing import Any

from bot.backends.base import JobQueue
from bot.content.store import ContentStore
from bot.outreach.notices import Notices
from bot.outreach.scheduler import SEND_JOB as BROADCAST_JOB
from bot.outreach.scheduler import TICK_JOB, Scheduler
from bot.pipeline.inbox import DRAIN_JOB, PROCESS_JOB, InboxProcessor
from bot.pipeline.outbox import SEND_JOB, Outbox
from bot.pipeline.priority import HandlerTurns
from bot.retention import purge_job
from loyalty.promotions.chain import SEAL_EVERY_SECONDS, seal_draws_job


def register_jobs(
    queue: JobQueue,
    *,
    inbox: InboxProcessor,
    outbox: Outbox,
    burst: HandlerTurns | None,
    content: ContentStore,
    retention_days: int,
    segment_refresh_minutes: int,
    scheduler: Scheduler | None = None,
    scheduler_tick: float = 30.0,
    notices: Notices | None = None,
) -> None:
    """`burst`: the handlers' turns (None when bursts do not hold them back);
    `retention_days`: webhook and outbox payloads are kept this long; `scheduler`: the
    outreach loop (broadcasts), run every `scheduler_tick` seconds."""

    async def process_inbox(
        ctx: dict[str, Any], channel: str, account_id: str, user_id: str
    ) -> int:
        return await inbox.process_job(channel, account_id, user_id)

    async def drain_inbox(ctx: dict[str, Any], first_id: int) -> int:
        """The pending rows from `first_id` on, in order, while `serve` is under pressure."""
        if burst is None:  # pressure handling is off: nothing to walk for
            return 0
        return await inbox.drain_from(first_id, still=burst.pressed)

    async def send_outbox(ctx: dict[str, Any], channel: str, account_id: str, user_id: str) -> int:
        return await outbox.send_job(channel, account_id, user_id)

    async def recover_inbox(ctx: dict[str, Any]) -> int:
        return await inbox.recover_stale()

    async def sweep_outbox(ctx: dict[str, Any]) -> int:
        return await outbox.sweep_due()

    async def loyalty_daily(ctx: dict[str, Any]) -> int:
        """Tier re-evaluation by the content file's policy, then points expiry."""
        from loyalty.points import expire_due
        from loyalty.tiers import reevaluate

        config = content.current.loyalty
        changes = await reevaluate(config)
        expired = await expire_due(config)
        return len(changes) + len(expired)

    async def refresh_segments(ctx: dict[str, Any]) -> int:
        """RFM scores and every segment, from the live content file; the live members."""
        from loyalty.segments.refresh import refresh_all

        counts = await refresh_all(content.current.segment_spec())
        return counts.get("all", 0)

    queue.register(PROCESS_JOB, process_inbox, max_tries=20)
    queue.register(DRAIN_JOB, drain_inbox, max_tries=1)  # the feeder queues another
    queue.register(SEND_JOB, send_outbox, max_tries=20, urgent=True)  # replies first
    queue.schedule("recover_inbox", recover_inbox, every_seconds=30, at_start=True)
    queue.schedule("sweep_outbox", sweep_outbox, every_seconds=15, at_start=True)
    queue.schedule("loyalty_daily", loyalty_daily, every_seconds=6 * 3600)
    queue.schedule("purge_messages", purge_job(retention_days), every_seconds=6 * 3600)
    queue.schedule("seal_draws", seal_draws_job, every_seconds=SEAL_EVERY_SECONDS)
    queue.schedule(
        "refresh_segments", refresh_segments, every_seconds=segment_refresh_minutes * 60
    )
    if scheduler is not None:
        outreach = scheduler

        async def outreach_tick(ctx: dict[str, Any]) -> int:
            return await outreach.tick()

        async def send_broadcast(ctx: dict[str, Any], broadcast_id: int) -> int:
            return await outreach.send(broadcast_id)

        queue.register(BROADCAST_JOB, send_broadcast, max_tries=3)
        queue.schedule(TICK_JOB, outreach_tick, every_seconds=scheduler_tick)
    if notices is not None:
        reminders = notices

        async def voucher_expiring(ctx: dict[str, Any]) -> int:
            """Daily: unused vouchers that expire within 3 days get a reminder (once)."""
            return await reminders.expiring()

        queue.schedule("voucher_expiring", voucher_expiring, every_seconds=24 * 3600)
