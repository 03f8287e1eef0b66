"""Queue job functions: thin wrappers that find the runtime in the job context."""

from __future__ import annotations

from typing import Any

from bot.pipeline import inbox, outbox


async def process_inbox(ctx: dict[str, Any], channel: str, account_id: str, user_id: str) -> int:
    return await inbox.process_user(ctx["runtime"], channel, account_id, user_id)


async def drain_inbox(ctx: dict[str, Any], first_id: int) -> int:
    """The pending rows from `first_id` on, in order, while `serve` is under pressure."""
    runtime = ctx["runtime"]
    turns = runtime.handler_turns
    if turns is None:  # pressure handling is off: nothing to walk for
        return 0
    return await inbox.drain_from(runtime, first_id, still=turns.pressed)


async def send_outbox(ctx: dict[str, Any], channel: str, account_id: str, user_id: str) -> int:
    return await outbox.send_user(ctx["runtime"], channel, account_id, user_id)


async def recover_inbox(ctx: dict[str, Any]) -> int:
    return await inbox.recover_stale(ctx["runtime"])


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    return await outbox.sweep_due(ctx["runtime"])


async def loyalty_daily(ctx: dict[str, Any]) -> int:
    """Tier re-evaluation by the content file's policy, then points expiry."""
    from loyalty.points import expire_due
    from loyalty.tiers import reevaluate

    config = ctx["runtime"].content.current.loyalty
    changes = await reevaluate(config)
    expired = await expire_due(config)
    return len(changes) + len(expired)


def register_jobs(queue: Any) -> None:
    """Every job the worker runs, in one place (the `worker` command and in-process mode)."""
    queue.register(inbox.PROCESS_JOB, process_inbox, max_tries=20)
    queue.register(inbox.DRAIN_JOB, drain_inbox, max_tries=1)  # the feeder queues another
    queue.register(outbox.SEND_JOB, send_outbox, max_tries=20)
    queue.schedule("recover_inbox", recover_inbox, every_seconds=30)
    queue.schedule("sweep_outbox", sweep_outbox, every_seconds=15)
    queue.schedule("loyalty_daily", loyalty_daily, every_seconds=6 * 3600)
