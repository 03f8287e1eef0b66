"""Consuming side of the inbox: each stored event handled once, in order per user.

A job per user with new rows (`PROCESS_JOB`) takes the user's lock and handles that user's
pending rows oldest first, so handlers see a user's events in order and never two at a
time. A failed event stays first in its user's line and is tried again later, with backoff
(`next_attempt_at`); after `MAX_ATTEMPTS` it is `failed`, with its error, until an operator
retries it (`python -m bot inbox retry`). A job that finds the user's lock taken does not
wait for it in its slot: the holder looks again for new rows after it lets go.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.backends.base import JobQueue, LockManager, LockTimeout, Retry
from bot.contracts.channel import Channel
from bot.contracts.contacts import touch_contact
from bot.contracts.inbox import NewRows
from bot.core.events import Event
from bot.models import InboxEvent

log = logging.getLogger("bot.pipeline.inbox")

PROCESS_JOB = "process_inbox"
DRAIN_JOB = "drain_inbox"  # during a burst: one job walks the new rows in order
DRAIN_JOB_ID = "inbox:drain"
DRAIN_MAX_SECONDS = 60.0  # then the job ends and the feeder queues a fresh one
MAX_ATTEMPTS = 5
RETRY_BASE = 2.0  # seconds before the first retry of a failed event; doubles each time
RETRY_CAP = 300.0
DB_RETRY = (
    1.0  # seconds before a job that met a database error (e.g. a killed connection) runs again
)
LOCK_LEASE = 10.0  # seconds a user's lock outlives a holder that died (renewed while it lives)
# Events that do not open a platform's send window (Zalo counts follows, messages, taps).
NOT_INTERACTIONS = frozenset({"unfollow", "reaction"})

Dispatch = Callable[[Event, int], Awaitable[Any]]


class Turns(Protocol):
    """`priority.HandlerTurns`: handlers take turns with the acknowledgements in a burst."""

    def turn(self) -> AbstractAsyncContextManager[None]: ...


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter, so a short outage does not use up the attempts."""
    return random.uniform(0.5, 1.0) * min(RETRY_CAP, RETRY_BASE * 2.0 ** (attempts - 1))


async def enqueue_new(queue: JobQueue, new: Sequence[tuple[Any, int]]) -> None:
    """One processing job per user with new rows (the job drains all of that user's rows)."""
    first: dict[tuple[str, str, str], int] = {}
    for (channel, item), row_id in new:
        first.setdefault((channel, item.account_id, item.user_id), row_id)
    if first:
        await queue.enqueue_many(
            PROCESS_JOB, [(user, f"inbox:{row_id}") for user, row_id in first.items()]
        )


class InboxProcessor:
    """Runs the stored events of each user through `dispatch`, exactly once and in order.

    `turns`: handlers take turns with the acknowledgements during a burst (None: never held
    back). `backlog_from`: the first row a feeder is handing out itself, which the sweep
    leaves alone.
    """

    def __init__(
        self,
        *,
        queue: JobQueue,
        locks: LockManager,
        channels: Mapping[str, Channel],
        dispatch: Dispatch,
        turns: Turns | None = None,
        backlog_from: Callable[[], int | None] | None = None,
    ) -> None:
        self._queue = queue
        self._locks = locks
        self._channels = channels
        self._dispatch = dispatch
        self.turns = turns  # read per event
        self._backlog_from = backlog_from

    async def handoff(self, new: NewRows) -> None:
        """After a commit (no feeder in between): queue the new rows' users."""
        await enqueue_new(self._queue, new)

    async def process_user(
        self, channel: str, account_id: str, user_id: str, *, wait_lock: float = 0.0
    ) -> int:
        """Handle one user's due events oldest first under the user's lock; return how many.

        Raises `LockTimeout` when another job holds the user's lock for longer than
        `wait_lock` (the job then comes back later: `process_job`).
        """
        done = 0
        async with self._locks.lock(
            f"inbox:{channel}:{account_id}:{user_id}",
            timeout=LOCK_LEASE,
            blocking_timeout=wait_lock,
        ):
            # Holding the lock, a row still marked "processing" was orphaned by a crash.
            await InboxEvent.filter(
                channel=channel, account_id=account_id, user_id=user_id, status="processing"
            ).update(status="pending")
            while True:
                row = (
                    await InboxEvent.filter(
                        channel=channel, account_id=account_id, user_id=user_id, status="pending"
                    )
                    .order_by("id")
                    .first()
                )
                if row is None:
                    return done
                if row.next_attempt_at is not None and row.next_attempt_at > datetime.now(UTC):
                    return done  # the user's line waits behind its failed event
                # One turn per event, not per job: a job drains every row its user has, and
                # a user who keeps writing during a burst must not keep the handlers going.
                turns = self.turns
                async with turns.turn() if turns is not None else nullcontext():
                    claimed = await InboxEvent.filter(id=row.id, status="pending").update(
                        status="processing", attempts=row.attempts + 1
                    )
                    if not claimed:
                        continue
                    if not await self._process_row(row):
                        return done
                    done += 1

    async def process_job(self, channel: str, account_id: str, user_id: str) -> int:
        """The queue's job. A user whose lock another job holds is that job's: it handles
        every row the user has, and looks again once it let go of the lock (a row committed
        while it held it is then found). Nobody waits in a job slot for a lock: this job
        comes back after half a lease, for the case the holder died. A database error (a
        handler's own failure is the event's, recorded on its row) runs the job again
        shortly: a killed connection costs a second, not the inbox sweep's minute."""
        done = 0
        while True:
            try:
                done += await self.process_user(channel, account_id, user_id)
            except LockTimeout:
                raise Retry(defer=LOCK_LEASE / 2) from None
            except Exception as exc:
                log.warning(
                    "inbox job of %s/%s: %r; again in %.0f s", channel, user_id, exc, DB_RETRY
                )
                raise Retry(defer=DB_RETRY) from exc
            if not await self._due(channel, account_id, user_id):
                return done

    async def _due(self, channel: str, account_id: str, user_id: str) -> bool:
        """Is the user's oldest pending row one that may be handled now? (Later rows wait
        behind a failed one that is not due yet.)"""
        oldest = (
            await InboxEvent.filter(
                channel=channel, account_id=account_id, user_id=user_id, status="pending"
            )
            .order_by("id")
            .first()
            .values("next_attempt_at")
        )
        if oldest is None:
            return False
        due_at = oldest["next_attempt_at"]
        return due_at is None or due_at <= datetime.now(UTC)

    async def drain_from(
        self,
        first_id: int,
        *,
        still: Callable[[], Awaitable[bool]],
        max_seconds: float = DRAIN_MAX_SECONDS,
    ) -> int:
        """Handle pending rows from `first_id` on, user by user in the order the rows came.

        The burst path (the feeders): handlers take one event at a time then anyway, so one
        job walking the new rows does the work of a job per user without queueing
        thousands. Each user still goes through `process_user`; a user whose lock another
        job holds is left to that job. Ends when no row is pending past the cursor, when
        `still()` says the burst is over, or after `max_seconds`; the next drain starts at
        the burst's first row again, so rows one left behind are found.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds
        cursor, done = first_id, 0
        while loop.time() < deadline and await still():
            row = (
                await InboxEvent.filter(status="pending", id__gte=cursor)
                .order_by("id")
                .first()
                .values("id", "channel", "account_id", "user_id")
            )
            if row is None:
                break
            cursor = int(row["id"]) + 1
            try:
                done += await self.process_user(row["channel"], row["account_id"], row["user_id"])
            except LockTimeout:
                continue  # that user's own job is at it
        return done

    async def _process_row(self, row: InboxEvent) -> bool:
        """Handle one claimed row; False when it failed (it is tried again later)."""
        channel = self._channels[row.channel]
        try:
            events = await channel.to_events(row.body)
            for event in events:
                if event.kind not in NOT_INTERACTIONS:
                    await touch_contact(
                        event.channel,
                        event.account_id,
                        event.user_id,
                        user_id_by_app=getattr(event, "user_id_by_app", None),
                    )
                await self._dispatch(event, row.id)
        except Exception as exc:
            await self._failed(row, exc)
            return False
        await InboxEvent.filter(id=row.id).update(
            status="done", processed_at=datetime.now(UTC), next_attempt_at=None
        )
        return True

    async def _failed(self, row: InboxEvent, exc: Exception) -> None:
        attempts = row.attempts + 1
        error = repr(exc)[:2000]
        if attempts >= MAX_ATTEMPTS:
            log.exception("inbox event %s (%s) failed for good", row.id, row.event_name)
            await InboxEvent.filter(id=row.id).update(status="failed", error=error)
            return
        delay = retry_delay(attempts)
        log.warning(
            "inbox event %s (%s) failed (attempt %d), again in %.0f s: %r",
            row.id,
            row.event_name,
            attempts,
            delay,
            exc,
        )
        await InboxEvent.filter(id=row.id).update(
            status="pending",
            error=error,
            next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
        )
        await self._queue.enqueue(
            PROCESS_JOB,
            row.channel,
            row.account_id,
            row.user_id,
            job_id=f"inbox:{row.id}:retry{attempts}",
            defer=delay,
        )

    async def recover_stale(self, older_than: float = 60.0) -> int:
        """Re-queue users with events left pending or processing by a crashed process (a
        periodic job); rows a feeder is handing out itself are only waiting their turn."""
        now = datetime.now(UTC)
        query = InboxEvent.filter(
            status__in=("pending", "processing"),
            received_at__lt=now - timedelta(seconds=older_than),
        )
        backlog = self._backlog_from() if self._backlog_from is not None else None
        if backlog is not None:
            query = query.filter(id__lt=backlog)
        stale = await query.values("id", "channel", "account_id", "user_id", "next_attempt_at")
        users: dict[tuple[str, str, str], int] = {}
        for r in stale:
            if r["next_attempt_at"] is None or r["next_attempt_at"] <= now:
                users.setdefault((r["channel"], r["account_id"], r["user_id"]), r["id"])
        for (channel, account_id, user_id), row_id in users.items():
            await self._queue.enqueue(
                PROCESS_JOB, channel, account_id, user_id, job_id=f"inbox:recover:{row_id}"
            )
        return len(users)

    async def requeue_pending(self) -> int:
        """Queue every user with due pending events now (after the queue lost its jobs,
        e.g. a Redis restart)."""
        return await self.recover_stale(older_than=0.0)


async def retry_failed(*, failed_only: bool = True) -> int:
    """Give failed events (and, with `failed_only=False`, pending ones waiting for a retry)
    a fresh set of attempts, due now; the sweep or a worker picks them up."""
    statuses = ("failed",) if failed_only else ("failed", "pending")
    return await InboxEvent.filter(status__in=statuses).update(
        status="pending", attempts=0, next_attempt_at=None
    )
