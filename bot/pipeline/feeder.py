"""Queue the inbox's processing jobs from the worker side, woken by PostgreSQL NOTIFY.

With PostgreSQL and Redis, `serve` does not call Redis after storing a webhook batch: the
INSERT itself notifies (`ingest.sql.insert_sql`) with the range of new row ids, and every
consuming process (`worker`) listens here and queues one job per user with pending rows in
that range. A Redis call cost `serve` about as much CPU as a small batch's INSERT, and the
acknowledgement then no longer depends on Redis at all.

Several workers all hear each notification; the jobs' ids (`inbox:<first row id>`) make the
queue take each once. Whenever the listening connection is (re)established the feeder also
queues every pending user, so rows stored while nobody listened are not left waiting for the
periodic sweep (`recover_inbox`), which stays as the last safety net.

During a burst (`serve`'s pressure mark, read through the worker's `PressureGate`) the
handlers take one event at a time anyway, so the feeder queues no job per user: it keeps one
`drain_inbox` job going that walks the new rows in order (`inbox.drain_from`). A job per user
cost the worker and Redis as much CPU as the handlers' share itself, on the machine `serve`
needs. Once the mark is gone the feeder queues every pending user again, all at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from tortoise import connections

from bot.backends.base import JobQueue
from bot.db import asyncpg_pool
from bot.pipeline.inbox import DRAIN_JOB, DRAIN_JOB_ID, DRAIN_MAX_SECONDS, PROCESS_JOB

log = logging.getLogger("bot.pipeline.feeder")

_PENDING_IN = """
SELECT channel, account_id, user_id, min(id) AS first FROM inbox_event
WHERE status = 'pending' AND id BETWEEN $1 AND $2
GROUP BY channel, account_id, user_id
"""
# On (re)connecting: every user with work, orphaned `processing` rows included (a worker that
# died left them; a live one holding the user's lock makes the extra job a no-op).
_ALL_PENDING = """
SELECT channel, account_id, user_id, min(id) AS first FROM inbox_event
WHERE status IN ('pending', 'processing')
GROUP BY channel, account_id, user_id
"""
RECONNECT_DELAY = 1.0  # seconds before listening again after a lost connection
COALESCE_SECONDS = 0.01  # notifications gathered into one query
PRESSURE_POLL = 0.25  # seconds between two looks at the mark once rows were left to the drain
DRAIN_EVERY = 0.25  # seconds between two tries to queue a drain job


def notify_channel(redis_prefix: str) -> str:
    """The NOTIFY channel of one deployment (its `REDIS_PREFIX`, as the queue is): short and
    plain, since PostgreSQL truncates channel names at 63 bytes."""
    return "zlb_inbox_" + hashlib.sha256(redis_prefix.encode()).hexdigest()[:16]


class InboxFeeder:
    """LISTEN on `channel`; for each notified id range, queue the users' jobs.

    `pressed`: is `serve` under pressure now (`priority.PressureGate.pressed`); None when
    pressure handling is off.
    """

    def __init__(
        self,
        queue: JobQueue,
        channel: str,
        *,
        pressed: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._jobs = queue
        self._is_pressed = pressed
        self.channel = channel
        self._ranges: list[tuple[int, int]] = []
        self._wake = asyncio.Event()
        self._lost = False
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()  # tests wait for it
        self.queued = 0  # jobs handed to the queue so far
        self.drains = 0  # drain jobs handed to the queue (tests read it)
        # The first row left to the drains since the burst began (None: no burst). Every drain
        # starts there: one that stopped at its deadline, or passed a batch that committed
        # late, leaves rows behind that the next one then finds.
        self._burst_from: int | None = None
        self._drain_tried = float("-inf")

    async def _pressed(self) -> bool:
        return self._is_pressed is not None and await self._is_pressed()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-feeder")

    async def wait_listening(self) -> None:
        """Until the feeder listens (a fresh start has also queued what was pending)."""
        await self._listening.wait()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _heard(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        try:
            first, last = (int(part) for part in payload.split())
        except ValueError:
            log.warning("inbox feeder: unreadable notification %r ignored", payload)
            return
        self._ranges.append((first, last))
        self._wake.set()

    def _terminated(self, conn: Any) -> None:
        self._lost = True
        self._wake.set()

    async def _run(self) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            pool: Any = None
            try:
                pool = await asyncpg_pool()
                conn = await pool.acquire()
                self._lost = False
                await conn.add_listener(self.channel, self._heard)
                conn.add_termination_listener(self._terminated)
                await self._resume()  # stored while not listening, or left by a dead worker
                self._listening.set()
                while not self._lost:
                    await self._next_wake()
                    # A burst notifies once per batch: gather a few into one query and one
                    # enqueue (the handlers' work starts a few ms later, the acks not at all).
                    await asyncio.sleep(COALESCE_SECONDS)
                    self._wake.clear()
                    ranges, self._ranges = self._ranges, []
                    if await self._pressed():
                        # The drains walk them: no job per user during a burst.
                        if ranges or self._burst_from is not None:
                            await self._drain(min((r[0] for r in ranges), default=None))
                    elif self._burst_from is not None:  # calm again: every user, at once
                        self._burst_from = None
                        await self._resume()
                    elif ranges:
                        first = min(r[0] for r in ranges)
                        last = max(r[1] for r in ranges)
                        await self._queue(await self._fetch(_PENDING_IN, first, last))
                log.warning("inbox feeder: listening connection lost; listening again")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("inbox feeder failed; listening again in %.0f s", RECONNECT_DELAY)
                await asyncio.sleep(RECONNECT_DELAY)
            finally:
                self._listening.clear()
                if conn is not None and pool is not None:
                    await self._release(pool, conn)

    async def _next_wake(self) -> None:
        """A notification; or, with rows left to the drain, a look at the mark now and then
        (the burst ends without a notification to say so)."""
        if self._burst_from is None:
            await self._wake.wait()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), PRESSURE_POLL)

    async def _drain(self, first_id: int | None) -> None:
        """Make sure a drain walks the rows from the burst's first one on.

        One try per `DRAIN_EVERY` at most (each is a Redis transaction), also when no new row
        came: the queue refuses it while a drain is queued or running, and takes it once that
        one has ended (caught up, or at its deadline with rows left).
        """
        if first_id is not None:
            start = self._burst_from
            self._burst_from = first_id if start is None else min(start, first_id)
        now = time.monotonic()
        if self._burst_from is None or now - self._drain_tried < DRAIN_EVERY:
            return
        self._drain_tried = now
        # The period in the id keeps a drain lost with a dead worker from blocking the next
        # ones for longer than a period (a drain ends within one).
        period = int(time.time() // DRAIN_MAX_SECONDS)
        job_id = f"{DRAIN_JOB_ID}:{period}"
        if await self._jobs.enqueue(DRAIN_JOB, self._burst_from, job_id=job_id):
            self.drains += 1

    async def _release(self, pool: Any, conn: asyncpg.Connection) -> None:
        """Stop listening and give the connection back. Every step may fail on a connection
        that died (asyncpg's pool detaches it then): the feeder must go on regardless."""
        try:
            conn.remove_termination_listener(self._terminated)
            if not conn.is_closed():
                await asyncio.shield(conn.remove_listener(self.channel, self._heard))
        except Exception:
            log.debug("inbox feeder: UNLISTEN skipped", exc_info=True)
        try:
            await asyncio.shield(pool.release(conn))
        except Exception:
            log.debug("inbox feeder: connection not returned cleanly", exc_info=True)

    async def _fetch(self, sql: str, *args: Any) -> Sequence[Any]:
        async with connections.get("default").acquire_connection() as conn:
            rows: Sequence[Any] = await conn.fetch(sql, *args)
            return rows

    async def _resume(self) -> None:
        """Every user with work, under ids of their own: a worker killed mid-job leaves its
        job's id taken in Redis (until arq's job timeout), and `inbox:<first row>` would
        then be refused for exactly the users it was handling."""
        await self._queue(await self._fetch(_ALL_PENDING), tag=f":resume{time.time_ns()}")

    async def _queue(self, rows: Sequence[Any], *, tag: str = "") -> None:
        if not rows:
            return
        jobs = [
            ((r["channel"], r["account_id"], r["user_id"]), f"inbox:{r['first']}{tag}")
            for r in rows
        ]
        await self._jobs.enqueue_many(PROCESS_JOB, jobs)
        self.queued += len(jobs)
