"""Outbound side: rendered platform requests are stored, then sent in order per user.

A reply is written to `outbox_message` before any HTTP call, so nothing is lost while a
platform is down: transient failures back off (with jitter) and keep the row pending, and the
user's later messages wait behind it so they still arrive in order. Permanent refusals are
recorded with their reason; an unreachable user is marked so nothing more is sent to them.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError

from bot.channels.base import PermanentDeliveryError, TransientDeliveryError
from bot.core.messages import OutboundMessage
from bot.models import Contact, OutboxMessage, SkippedSend

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot.pipeline.outbox")

SEND_JOB = "send_outbox"
MAX_ATTEMPTS = 200  # with the 10-minute cap this keeps trying for more than a day
BACKOFF_CAP = 600.0


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter; a platform's own hint wins when larger."""
    delay = random.uniform(0.5, 1.0) * min(BACKOFF_CAP, 0.5 * 2**attempt)
    return max(delay, retry_after or 0.0)


async def queue_messages(
    runtime: Runtime,
    channel_name: str,
    user_id: str,
    messages: Sequence[OutboundMessage],
    *,
    reply_to: str | None = None,
    dedupe_prefix: str | None = None,
) -> list[int]:
    """Render and store messages for one user, then make sure a sender job will run.

    With `dedupe_prefix` (e.g. the inbox row and reply number) a re-run of the same handler
    after a crash stores nothing twice.
    """
    channel = runtime.channels[channel_name]
    requests = channel.render(messages, user_id=user_id, reply_to=reply_to)
    ids: list[int] = []
    for index, req in enumerate(requests):
        key = f"{dedupe_prefix}:{index}" if dedupe_prefix else None
        try:
            row = await OutboxMessage.create(
                channel=channel_name,
                account_id=channel.account_id,
                user_id=user_id,
                dedupe_key=key,
                method=req.method,
                payload=req.payload,
                promotional=req.promotional,
            )
        except IntegrityError:
            continue
        ids.append(row.id)
    if ids:
        await runtime.backends.queue.enqueue(
            SEND_JOB, channel_name, channel.account_id, user_id, job_id=f"outbox:{ids[0]}"
        )
    return ids


async def send_user(runtime: Runtime, channel_name: str, account_id: str, user_id: str) -> int:
    """Send one user's due messages oldest first; stop at a transient failure to keep order."""
    channel = runtime.channels[channel_name]
    sent = 0
    lock = f"outbox:{channel_name}:{account_id}:{user_id}"
    async with runtime.backends.locks.lock(lock, timeout=120, blocking_timeout=120):
        while True:
            row = (
                await OutboxMessage.filter(
                    channel=channel_name,
                    account_id=account_id,
                    user_id=user_id,
                    status="pending",
                )
                .order_by("id")
                .first()
            )
            if row is None:
                return sent
            now = datetime.now(UTC)
            if row.next_attempt_at and row.next_attempt_at > now:
                await _wake_later(runtime, row, (row.next_attempt_at - now).total_seconds())
                return sent
            contact = await Contact.get_or_none(
                channel=channel_name, account_id=account_id, user_id=user_id
            )
            if contact is not None and not contact.reachable:
                await _give_up(row, f"unreachable: {contact.unreachable_reason}", "skipped")
                continue
            try:
                if channel.sandbox:
                    platform_id = await channel.deliver_sandbox(row)
                else:
                    platform_id = await channel.deliver(row)
            except TransientDeliveryError as exc:
                attempts = row.attempts + 1
                if attempts >= MAX_ATTEMPTS:
                    await _give_up(row, f"gave up after {attempts} attempts: {exc.reason}")
                    continue
                delay = backoff(attempts, exc.retry_after)
                await OutboxMessage.filter(id=row.id).update(
                    attempts=attempts,
                    last_error=exc.reason[:2000],
                    next_attempt_at=now + timedelta(seconds=delay),
                )
                log.warning("send %s to %s delayed %.1fs: %s", row.id, user_id, delay, exc.reason)
                await _wake_later(runtime, row, delay)
                return sent
            except PermanentDeliveryError as exc:
                await _give_up(row, exc.reason, "failed")
                if exc.unreachable:
                    await Contact.filter(
                        channel=channel_name, account_id=account_id, user_id=user_id
                    ).update(reachable=False, unreachable_reason=exc.reason[:255])
                continue
            await OutboxMessage.filter(id=row.id).update(
                status="sent",
                attempts=row.attempts + 1,
                sent_at=datetime.now(UTC),
                platform_message_id=platform_id,
                last_error=None,
            )
            sent += 1


async def _give_up(row: OutboxMessage, reason: str, status: str = "failed") -> None:
    log.info("not sending %s to %s/%s: %s", row.id, row.channel, row.user_id, reason)
    await OutboxMessage.filter(id=row.id).update(status=status, last_error=reason[:2000])
    await SkippedSend.create(
        channel=row.channel, user_id=row.user_id, reason=reason[:255], outbox_id=row.id
    )


async def _wake_later(runtime: Runtime, row: OutboxMessage, delay: float) -> None:
    await runtime.backends.queue.enqueue(
        SEND_JOB,
        row.channel,
        row.account_id,
        row.user_id,
        job_id=f"outbox:{row.id}:try{row.attempts}",
        defer=max(delay, 0.05),
    )


async def sweep_due(runtime: Runtime) -> int:
    """Periodic safety net: wake senders for due rows whose job was lost (e.g. a restart)."""
    now = datetime.now(UTC)
    rows = await OutboxMessage.filter(status="pending").values(
        "id", "channel", "account_id", "user_id", "next_attempt_at", "attempts"
    )
    users: dict[tuple[str, str, str], int] = {}
    for r in rows:
        if r["next_attempt_at"] is None or r["next_attempt_at"] <= now:
            users.setdefault((r["channel"], r["account_id"], r["user_id"]), r["id"])
    for (channel, account_id, user_id), row_id in users.items():
        await runtime.backends.queue.enqueue(
            SEND_JOB, channel, account_id, user_id, job_id=f"outbox:sweep:{row_id}"
        )
    return len(users)
