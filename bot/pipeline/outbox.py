"""Outbound side: rendered platform requests are stored, then sent in order per user.

A reply is written to `outbox_message` before any HTTP call, so nothing is lost while a
platform is down: transient failures back off (with jitter) and keep the row pending, and the
user's later messages wait behind it so they still arrive in order. Permanent refusals are
recorded with their reason; an unreachable user is marked so nothing more is sent to them.

A platform that keeps failing opens its circuit (`Breaker`): for a while its send jobs put
their rows off without calling it, so a slow platform costs its users a delay, not every
job slot of the worker.

A call that timed out may still have been delivered (`bot.apiclient.retry.maybe_delivered`).
On a channel whose echoes name the row (`Channel.echoes_name_rows`: Messenger's `metadata =
"outbox:<id>"`, `channels.messenger.receipts`) such a row is held at least
`MAYBE_DELIVERED_HOLD` seconds before it is tried again, long enough for the echo of the
first try to record its message id; the retry then sends nothing and the row says it was
delivered by the earlier try. No echo in that time (the first try was lost, or echoes are
not subscribed): sent again, once. Zalo's echoes do not name our row, so there the hold
would only delay: its rows back off as any transient failure.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from bot.apiclient.retry import maybe_delivered
from bot.backends.base import JobQueue, LockManager, LockTimeout, Retry
from bot.contracts.channel import Channel
from bot.contracts.delivery import PermanentDeliveryError, TransientDeliveryError
from bot.contracts.outbound import Purpose
from bot.core.messages import OutboundMessage
from bot.models import Contact, OutboxMessage, SkippedSend

log = logging.getLogger("bot.pipeline.outbox")

SEND_JOB = "send_outbox"
MAX_ATTEMPTS = 200  # with the 10-minute cap this keeps trying for more than a day
BACKOFF_CAP = 600.0
LOCK_LEASE = 10.0
LOCKED_RETRY = 0.5
DB_RETRY = 1.0  # seconds before a send job that met a database error runs again
# Seconds before a send that may have been delivered is tried again: the platform had the
# request for the client's whole timeout (15 s for Graph) and may finish it later still;
# its echo then comes through the inbox like any event.
MAYBE_DELIVERED_HOLD = 30.0
# Pauses between tries to record a send the platform accepted: a connection killed right
# then would otherwise leave the row pending, and it would be sent a second time.
RECORD_PAUSES = (0.1, 0.3, 1.0, 3.0)
EARLIER_TRY = "delivered by an earlier try (its echo came), not sent again; that try: "


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter; a platform's own hint wins when larger."""
    delay = random.uniform(0.5, 1.0) * min(BACKOFF_CAP, 0.5 * 2.0**attempt)
    return max(delay, retry_after or 0.0)


class Breaker:
    """Per channel: `threshold` transient failures in a row open the circuit for `cool`
    seconds; the first send after that is a trial (success closes it, failure reopens)."""

    def __init__(self, *, threshold: int = 5, cool: float = 10.0) -> None:
        self.threshold = threshold
        self.cool = cool
        self._failures: dict[str, int] = {}
        self._open_until: dict[str, float] = {}

    def wait(self, channel: str) -> float:
        """Seconds until `channel` may be called again (0: now)."""
        return max(0.0, self._open_until.get(channel, 0.0) - time.monotonic())

    def failed(self, channel: str) -> None:
        count = self._failures.get(channel, 0) + 1
        self._failures[channel] = count
        if count >= self.threshold:
            self._open_until[channel] = time.monotonic() + self.cool
            log.warning(
                "%s: %d failed sends in a row, pausing sends %.0f s", channel, count, self.cool
            )

    def succeeded(self, channel: str) -> None:
        self._failures.pop(channel, None)
        self._open_until.pop(channel, None)


class Outbox:
    """Stores rendered messages and sends each user's in order."""

    def __init__(
        self,
        *,
        queue: JobQueue,
        locks: LockManager,
        channels: Mapping[str, Channel],
        breaker: Breaker | None = None,
    ) -> None:
        self._queue = queue
        self._locks = locks
        self._channels = channels
        self.breaker = breaker or Breaker()

    async def queue_messages(
        self,
        channel_name: str,
        user_id: str,
        messages: Sequence[OutboundMessage],
        *,
        reply_to: str | None = None,
        dedupe_prefix: str | None = None,
        purpose: Purpose = "reply",
    ) -> list[int]:
        """Render and store messages for one user, then make sure a sender job will run.

        `purpose` (reply, update, promotion) travels with each row: the channels' window
        checks go by it (a promotion is held to stricter rules than a reply).

        With `dedupe_prefix` (e.g. the inbox row and reply number) a re-run of the same
        handler after a crash stores nothing twice. Once the rows are stored, the messages
        will be sent: a failure to queue the send job is logged, not raised (the sweep
        sends them).
        """
        channel = self._channels[channel_name]
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
                    promotional=req.promotional or purpose == "promotion",
                    purpose="promotion" if req.promotional else purpose,
                )
            except IntegrityError:
                continue
            ids.append(row.id)
        if ids:
            try:
                await self._queue.enqueue(
                    SEND_JOB, channel_name, channel.account_id, user_id, job_id=f"outbox:{ids[0]}"
                )
            except Exception as exc:
                log.warning("outbox %s stored, its send job not queued yet: %r", ids[0], exc)
        return ids

    async def queue_request(
        self,
        channel_name: str,
        user_id: str,
        method: str,
        payload: dict[str, Any],
        *,
        dedupe_key: str,
        purpose: Purpose,
    ) -> int | None:
        """Store one already-built platform request (e.g. a Zalo ZBS template), once per
        `dedupe_key`; None when it was stored before."""
        channel = self._channels[channel_name]
        try:
            row = await OutboxMessage.create(
                channel=channel_name,
                account_id=channel.account_id,
                user_id=user_id,
                dedupe_key=dedupe_key,
                method=method,
                payload=payload,
                promotional=purpose == "promotion",
                purpose=purpose,
            )
        except IntegrityError:
            return None
        try:
            await self._queue.enqueue(
                SEND_JOB, channel_name, channel.account_id, user_id, job_id=f"outbox:{row.id}"
            )
        except Exception as exc:
            log.warning("outbox %s stored, its send job not queued yet: %r", row.id, exc)
        return int(row.id)

    async def send_job(self, channel_name: str, account_id: str, user_id: str) -> int:
        """The queue's job: a user whose sender runs elsewhere is tried again shortly, and so
        is one whose rows could not be read or updated (a database error: the queue runs
        the job again, not the sweep a quarter of a minute later)."""
        try:
            return await self.send_user(channel_name, account_id, user_id)
        except LockTimeout:
            await self._wake(channel_name, account_id, user_id, "locked", LOCKED_RETRY)
            return 0
        except Exception as exc:
            log.warning(
                "send job of %s/%s: %r; again in %.0f s", channel_name, user_id, exc, DB_RETRY
            )
            raise Retry(defer=DB_RETRY) from exc

    async def send_user(self, channel_name: str, account_id: str, user_id: str) -> int:
        """Send one user's due messages oldest first; stop at a transient failure to keep
        the order."""
        channel = self._channels[channel_name]
        sent = 0
        lock = f"outbox:{channel_name}:{account_id}:{user_id}"
        async with self._locks.lock(lock, timeout=LOCK_LEASE, blocking_timeout=0):
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
                    delay = (row.next_attempt_at - now).total_seconds()
                    await self._wake(row.channel, row.account_id, row.user_id, row.id, delay)
                    return sent
                pause = 0.0 if channel.sandbox else self.breaker.wait(channel_name)
                if pause > 0:
                    await self._wake(row.channel, row.account_id, row.user_id, "open", pause)
                    return sent
                if not await self._send(channel, row, now):
                    return sent
                sent += 1

    async def _send(self, channel: Channel, row: OutboxMessage, now: datetime) -> bool:
        """One row; False when the user's line has to wait (a transient failure)."""
        contact = await Contact.get_or_none(
            channel=row.channel, account_id=row.account_id, user_id=row.user_id
        )
        if contact is not None and not contact.reachable:
            await _give_up(row, f"unreachable: {contact.unreachable_reason}", "skipped")
            return True
        platform_id: str | None
        echoed = bool(row.platform_message_id)  # an echo proved an earlier try arrived
        try:
            if channel.sandbox:
                platform_id = await channel.deliver_sandbox(row)
            else:
                platform_id = await channel.deliver(row)
        except TransientDeliveryError as exc:
            self.breaker.failed(row.channel)
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await _give_up(row, f"gave up after {attempts} attempts: {exc.reason}")
                return True
            delay = backoff(attempts, exc.retry_after)
            if channel.echoes_name_rows and maybe_delivered(exc):
                delay = max(delay, MAYBE_DELIVERED_HOLD)
            await OutboxMessage.filter(id=row.id).update(
                attempts=attempts,
                last_error=exc.reason[:2000],
                next_attempt_at=now + timedelta(seconds=delay),
            )
            log.warning("send %s to %s delayed %.1fs: %s", row.id, row.user_id, delay, exc.reason)
            await self._wake(row.channel, row.account_id, row.user_id, row.id, delay, attempts)
            return False
        except PermanentDeliveryError as exc:
            self.breaker.succeeded(row.channel)  # the platform answered
            if exc.unreachable:  # first: the skip record is what readers wait for
                await Contact.filter(
                    channel=row.channel, account_id=row.account_id, user_id=row.user_id
                ).update(reachable=False, unreachable_reason=exc.reason[:255])
            await _give_up(row, exc.reason, "failed")
            return True
        self.breaker.succeeded(row.channel)
        note = None
        if echoed and row.last_error:  # kept: that the first try's outcome was unknown
            note = (EARLIER_TRY + row.last_error)[:2000]
            log.info("send %s to %s: %s", row.id, row.user_id, note)
        await _record(
            row.id,
            status="sent",
            attempts=row.attempts + 1,
            sent_at=datetime.now(UTC),
            platform_message_id=platform_id,
            last_error=note,
        )
        return True

    async def _wake(
        self,
        channel: str,
        account_id: str,
        user_id: str,
        tag: object,
        delay: float,
        attempt: int = 0,
    ) -> None:
        await self._queue.enqueue(
            SEND_JOB,
            channel,
            account_id,
            user_id,
            # Unique: the job that wakes its successor may still be running under its own id.
            job_id=f"outbox:{channel}:{user_id}:{tag}:{attempt}:{time.monotonic_ns()}",
            defer=max(delay, 0.05),
        )

    async def sweep_due(self) -> int:
        """Periodic safety net: wake senders for due rows whose job was lost (a restart)."""
        now = datetime.now(UTC)
        rows = await OutboxMessage.filter(status="pending").values(
            "id", "channel", "account_id", "user_id", "next_attempt_at"
        )
        users: dict[tuple[str, str, str], int] = {}
        for r in rows:
            if r["next_attempt_at"] is None or r["next_attempt_at"] <= now:
                users.setdefault((r["channel"], r["account_id"], r["user_id"]), r["id"])
        for (channel, account_id, user_id), row_id in users.items():
            await self._queue.enqueue(
                SEND_JOB, channel, account_id, user_id, job_id=f"outbox:sweep:{row_id}"
            )
        return len(users)


async def _record(row_id: int, **values: Any) -> None:
    """Record what happened to a row that was sent, trying again after a database error
    (still under the user's send lock, so nobody sends the row meanwhile)."""
    for pause in (*RECORD_PAUSES, None):
        try:
            await OutboxMessage.filter(id=row_id).update(**values)
            return
        except Exception as exc:
            if pause is None:
                raise
            log.warning(
                "outbox %s sent, not recorded yet (%r): again in %.1f s", row_id, exc, pause
            )
            await asyncio.sleep(pause)


async def _give_up(row: OutboxMessage, reason: str, status: str = "failed") -> None:
    log.info("not sending %s to %s/%s: %s", row.id, row.channel, row.user_id, reason)
    await OutboxMessage.filter(id=row.id).update(status=status, last_error=reason[:2000])
    await SkippedSend.create(
        channel=row.channel, user_id=row.user_id, reason=reason[:255], outbox_id=row.id
    )
