"""Inbound side: store webhook items once, then process them once, in order per user.

The webhook inserts each item with `ON CONFLICT DO NOTHING` on `(channel, dedupe_key)`: a
platform retry (even five identical POSTs at once) finds the row already there and stops.
Concurrent webhooks share one INSERT (`group_commit`). Each user with new rows in a batch gets
one queue job; the job takes the user's lock and drains that user's pending rows oldest first,
so handlers see a user's events in order and never two at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
from tortoise import connections

from bot import fastjson
from bot.backends.base import LockTimeout
from bot.channels.base import InboxItem
from bot.db import asyncpg_pool
from bot.models import Contact, InboxEvent
from bot.pipeline.inbox_sql import insert_sql
from bot.pipeline.sqlite_writer import SqliteWriter, WriterGone

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("bot.pipeline.inbox")

PROCESS_JOB = "process_inbox"
DRAIN_JOB = "drain_inbox"  # during a burst, with Redis: one job walks the new rows in order
DRAIN_JOB_ID = "inbox:drain"
DRAIN_MAX_SECONDS = 60.0  # then the job ends and the feeder queues a fresh one
MAX_ATTEMPTS = 5
# Events that do not open a platform's send window (Zalo counts follows, messages, taps).
NOT_INTERACTIONS = frozenset({"unfollow", "reaction"})


Row = tuple[str, InboxItem]
NewRows = list[tuple[Row, int]]


def _values(rows: Sequence[Row], stamp: Any) -> list[Any]:
    values: list[Any] = []
    for channel, item in rows:
        values += [
            channel,
            item.account_id,
            item.user_id,
            item.dedupe_key,
            item.event_name,
            fastjson.dumps(item.body),
            stamp,
        ]
    return values


def _new_rows(rows: Sequence[Row], result: Iterable[Mapping[str, Any]]) -> NewRows:
    ids = {(r["channel"], r["dedupe_key"]): int(r["id"]) for r in result}
    new: NewRows = []
    for row in rows:
        row_id = ids.pop((row[0], row[1].dedupe_key), None)
        if row_id is not None:
            new.append((row, row_id))
    return new


async def store_rows(rows: Sequence[Row]) -> NewRows:
    """One `INSERT … ON CONFLICT DO NOTHING RETURNING` for `(channel, item)` rows of any
    channels; returns each new row with its id (a key repeated in `rows` is new once)."""
    if not rows:
        return []
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    now = datetime.now(UTC)
    values = _values(rows, now if postgres else now.isoformat(sep=" "))
    result = await conn.execute_query_dict(insert_sql(len(rows), postgres), values)
    return _new_rows(rows, result)


class InboxStore:
    """The group commit's writer: `store_rows`, minus the pool's cost on PostgreSQL.

    Taking a connection from asyncpg's pool and giving it back cost more CPU than the INSERT
    itself (about 50 µs against 35-45 µs for a one-row batch), once per batch. The writer
    keeps the connections it used checked out instead, one per batch in flight
    (`INGEST_BATCHES_IN_FLIGHT`), and gives one back to the pool only when a statement on it
    failed (the pool replaces a broken connection) and at `close`. SQLite goes through the
    writer process (`sqlite_writer`) when `serve` started one, else through `store_rows`.
    """

    def __init__(self) -> None:
        # SQLite: the process that writes the batches (`sqlite_writer`), when there is one.
        self.sqlite_writer: SqliteWriter | None = None
        self._idle: list[asyncpg.Connection] = []
        self._pool: Any = None
        self.held = 0  # connections checked out by the writer
        # PostgreSQL NOTIFY channel for new rows (`feeder.InboxFeeder`), or None: the group
        # commit queues the jobs itself.
        self.notify_channel: str | None = None

    async def store(self, rows: Sequence[Row]) -> NewRows:
        if not rows:
            return []
        client = connections.get("default")
        if client.capabilities.dialect != "postgres":
            return await self._store_sqlite(rows)
        notify = self.notify_channel
        sql = insert_sql(len(rows), True, notify is not None)
        values = _values(rows, datetime.now(UTC))
        if notify is not None:
            values.append(notify)
        stale = bool(self._idle)  # an idle held connection may have died meanwhile
        try:
            result = await self._fetch(client, sql, values)
        except Exception as exc:
            if not stale:
                raise
            # Once more, on a fresh connection: this one sat idle and may have died meanwhile
            # (a server restart shows up as several kinds of error, some only as asyncpg's
            # protocol state). ON CONFLICT makes the repeat harmless; a real SQL error fails
            # again and is raised.
            log.warning("inbox writer: held connection failed (%r), retrying on a new one", exc)
            result = await self._fetch(client, sql, values, fresh=True)
        return _new_rows(rows, result)

    async def _store_sqlite(self, rows: Sequence[Row]) -> NewRows:
        """Through the writer process; in-process (`store_rows`) when it is not there."""
        writer = self.sqlite_writer
        if writer is None:
            return await store_rows(rows)
        stamp = datetime.now(UTC).isoformat(sep=" ")
        try:
            result = await writer.store(_values(rows, stamp))
        except WriterGone:  # logged by the writer: the same rows in-process
            return await _store_again(rows)
        keys = ("id", "channel", "dedupe_key")
        return _new_rows(rows, (dict(zip(keys, row, strict=True)) for row in result))

    async def _fetch(
        self, client: Any, sql: str, values: list[Any], *, fresh: bool = False
    ) -> Sequence[Any]:
        raw = await self._take(client, fresh=fresh)
        try:
            result = await raw.fetch(sql, *values)
        except BaseException:
            await self._give_back(raw)
            raise
        self._idle.append(raw)
        return result

    async def _take(self, client: Any, *, fresh: bool = False) -> asyncpg.Connection:
        if self._idle and not fresh:
            return self._idle.pop()
        self._pool = await asyncpg_pool(client)
        raw = await self._pool.acquire()
        self.held += 1
        return raw

    async def _give_back(self, raw: asyncpg.Connection) -> None:
        self.held -= 1
        try:
            await self._pool.release(raw)
        except Exception:  # a broken connection: the pool has dropped it already
            log.warning("inbox writer: connection not returned cleanly", exc_info=True)

    async def close(self) -> None:
        """Return every held connection (before the pool closes: it waits for them), and
        stop the SQLite writer process."""
        idle, self._idle = self._idle, []
        for raw in idle:
            await self._give_back(raw)
        writer, self.sqlite_writer = self.sqlite_writer, None
        if writer is not None:
            await writer.close()


async def _store_again(rows: Sequence[Row]) -> NewRows:
    """Rows the writer process may have committed before it died: store them in-process and
    count the ones already there but still pending as new too, so their jobs are queued now
    and not by the sweep a minute later (a job too many for a platform's retry is harmless:
    the user's job finds nothing left to do)."""
    new = await store_rows(rows)
    seen = {id(row) for row, _ in new}
    rest = [row for row in rows if id(row) not in seen]
    if not rest:
        return new
    found = await InboxEvent.filter(
        status="pending",
        channel__in=list({channel for channel, _ in rest}),
        dedupe_key__in=[item.dedupe_key for _, item in rest],
    ).values("id", "channel", "dedupe_key")
    pending = _new_rows(rest, found)
    return sorted(new + pending, key=lambda pair: pair[1])


async def enqueue_new(runtime: Runtime, new: Sequence[tuple[Row, int]]) -> None:
    """One processing job per user with new rows (the job drains all of that user's rows)."""
    first: dict[tuple[str, str, str], int] = {}
    for (channel, item), row_id in new:
        first.setdefault((channel, item.account_id, item.user_id), row_id)
    if first:
        await runtime.backends.queue.enqueue_many(
            PROCESS_JOB, [(user, f"inbox:{row_id}") for user, row_id in first.items()]
        )


async def ingest(runtime: Runtime, channel: str, items: list[InboxItem]) -> int:
    """The webhook's whole job after verifying: store, enqueue, return how many were new.

    Goes through the runtime's group commit, so concurrent webhooks share one INSERT and one
    enqueue; it returns only once its items are stored (durable before the 200).
    """
    if not items:
        return 0
    return await runtime.inbox_writer.submit(channel, items)


def _user_lock(channel: str, account_id: str, user_id: str) -> str:
    return f"inbox:{channel}:{account_id}:{user_id}"


async def process_user(
    runtime: Runtime, channel: str, account_id: str, user_id: str, *, wait_lock: float = 120
) -> int:
    """Drain one user's pending events oldest first under the user's lock; return how many.

    Raises `LockTimeout` when another job holds the user's lock for longer than `wait_lock`.
    """
    done = 0
    async with runtime.backends.locks.lock(
        _user_lock(channel, account_id, user_id), timeout=120, blocking_timeout=wait_lock
    ):
        # Holding the lock, a row still marked "processing" was orphaned by a crash.
        await InboxEvent.filter(
            channel=channel, account_id=account_id, user_id=user_id, status="processing"
        ).update(status="pending")
        turns = runtime.handler_turns
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
            # One turn per event, not per job: a job drains every row its user has, and a
            # user who keeps writing during a burst must not keep the handlers going.
            async with turns.turn() if turns is not None else nullcontext():
                claimed = await InboxEvent.filter(id=row.id, status="pending").update(
                    status="processing", attempts=row.attempts + 1
                )
                if not claimed:
                    continue
                await _process_row(runtime, row)
                done += 1


async def drain_from(
    runtime: Runtime,
    first_id: int,
    *,
    still: Callable[[], Awaitable[bool]],
    max_seconds: float = DRAIN_MAX_SECONDS,
) -> int:
    """Handle pending rows from `first_id` on, user by user in the order the rows came.

    The burst path (`feeder.InboxFeeder` with Redis, `local_feeder.LocalFeeder` without):
    the handlers take one event at a time then anyway (`HandlerTurns`), so one job walking
    the new rows does the same work as a job per user, without queueing thousands of jobs
    (in Redis, each one Redis and CPU work for the worker beside `serve`; in-process, memory
    that grew with the burst). Each user still goes through `process_user` (the user's lock,
    oldest row first); a user whose lock another job holds is left to that job. Ends when no
    row is pending past the cursor, when `still()` says the burst is over (the feeder then
    queues a job per user again) or after `max_seconds`. The feeder starts every drain at
    the burst's first row, so rows one left behind (its deadline, a batch that committed
    after the cursor passed its ids) are found by the next; rows already handled are
    skipped by the query itself.
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
            done += await process_user(
                runtime, row["channel"], row["account_id"], row["user_id"], wait_lock=0
            )
        except LockTimeout:
            continue  # that user's own job is at it
    return done


async def _process_row(runtime: Runtime, row: InboxEvent) -> None:
    channel = runtime.channels[row.channel]
    try:
        events = await channel.to_events(row.body)
        for event in events:
            if event.kind not in NOT_INTERACTIONS:
                await touch_contact(event.channel, event.account_id, event.user_id, event)
            await runtime.dispatch(event, inbox_id=row.id)
    except Exception as exc:
        failed = row.attempts + 1 >= MAX_ATTEMPTS
        log.exception("inbox event %s (%s) failed", row.id, row.event_name)
        await InboxEvent.filter(id=row.id).update(
            status="failed" if failed else "pending", error=repr(exc)[:2000]
        )
        if not failed:
            # Keep the user's order: the failed event goes first again, a little later.
            await runtime.backends.queue.enqueue(
                PROCESS_JOB,
                row.channel,
                row.account_id,
                row.user_id,
                job_id=f"inbox:{row.id}:retry{row.attempts + 1}",
                defer=2.0**row.attempts,
            )
        return
    await InboxEvent.filter(id=row.id).update(status="done", processed_at=datetime.now(UTC))


async def touch_contact(channel: str, account_id: str, user_id: str, event: Any) -> Contact:
    """Remember the user's last inbound action: the platforms' send windows start there."""
    now = datetime.now(UTC)
    contact, _ = await Contact.get_or_create(
        channel=channel, account_id=account_id, user_id=user_id
    )
    updates: dict[str, Any] = {"last_inbound_at": now}
    if getattr(event, "user_id_by_app", None) and not contact.user_id_by_app:
        updates["user_id_by_app"] = event.user_id_by_app
    await Contact.filter(id=contact.id).update(**updates)
    for key, value in updates.items():
        setattr(contact, key, value)
    return contact


async def recover_stale(runtime: Runtime, older_than: float = 60.0) -> int:
    """Re-queue events left pending or processing by a crashed process (a periodic job).

    Rows of a burst's backlog that the in-process feeder is handing out are not stale, only
    waiting their turn (`local_feeder`): they are left to it.
    """
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
    query = InboxEvent.filter(status__in=("pending", "processing"), received_at__lt=cutoff)
    feeder = runtime.local_feeder
    backlog = feeder.backlog_from if feeder is not None else None
    if backlog is not None:
        query = query.filter(id__lt=backlog)
    stale = await query.values("id", "channel", "account_id", "user_id")
    users = {(r["channel"], r["account_id"], r["user_id"]): r["id"] for r in stale}
    for (channel, account_id, user_id), row_id in users.items():
        await runtime.backends.queue.enqueue(
            PROCESS_JOB, channel, account_id, user_id, job_id=f"inbox:recover:{row_id}"
        )
    return len(users)
