"""Group commit for the webhook: concurrent requests share one INSERT and one enqueue.

A webhook answers only after its items are committed, and a commit waits for the database's
log flush (a few milliseconds of disk). Paying that once per request capped ingest at a few
hundred requests a second. Here a request adds its items to the pending list and waits; a
flusher writes everything pending in one statement, enqueues the processing jobs in one call
and wakes every waiter. An idle server flushes at once (no timer, no added latency); under
load, what arrives during a flush forms the next batch.

Up to `max_inflight` batches are written at once, each on its own pooled connection, so one
slow disk flush does not hold everyone up (PostgreSQL also folds concurrent commits into one
log flush). SQLite has one writer, so there it is 1: parallel batches would only queue for
the connection and come out smaller. A batch beyond the first in flight starts only once
`min_rows` rows are waiting: started for the one request that came in meanwhile, it would
cost a whole statement for a row or two, and the rows after it would wait behind two flushes
(bench/README.md has the figures).

A user's rows are never in two batches at the same time: a later batch could commit first
and its processing job would then see that user's events out of order.

Requests are answered as soon as their rows are committed: the inbox table is the durable
queue. The processing jobs are queued right after (a wake-up), one enqueue call at a time:
batches committed meanwhile share the next call. If that fails, the periodic inbox sweep
queues the rows instead. A failed INSERT fails every request in its batch, so
each platform retries and nothing is lost; the `ON CONFLICT` dedupe makes that retry safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.contracts.inbox import InboxItem, NewRows, Row

log = logging.getLogger("bot.pipeline.ingest.group_commit")

StoreFn = Callable[[Sequence[Row]], Awaitable[NewRows]]
AfterFn = Callable[[NewRows], Awaitable[None]]
UserKey = tuple[str, str, str]


@dataclass(slots=True)
class _Waiter:
    rows: list[Row]
    users: frozenset[UserKey]
    done: asyncio.Future[int]


class GroupCommit:
    """Batch `(channel, item)` rows from concurrent callers into few, shared writes.

    `store` writes rows and returns the new ones with their ids; `after` runs on those new
    rows once their waiters are answered (the enqueue). `max_rows` bounds one statement (SQLite
    and PostgreSQL cap bind parameters). `after` may get the rows of several batches at once.
    """

    def __init__(
        self,
        store: StoreFn,
        after: AfterFn,
        *,
        max_rows: int = 400,
        max_inflight: int = 4,
        min_rows: int = 1,
        crowd: int = 4,
        on_pressure: Callable[[], None] | None = None,
    ) -> None:
        if max_rows < 1 or max_inflight < 1 or min_rows < 1:
            raise ValueError("max_rows, max_inflight and min_rows must be at least 1")
        self._store = store
        self._after = after
        self._max_rows = max_rows
        self.max_inflight = max_inflight
        self.min_rows = min_rows  # waiting rows that justify one more batch in flight
        self._pending: deque[_Waiter] = deque()
        self._pending_rows = 0
        self._busy_users: set[UserKey] = set()
        self._flushers: set[asyncio.Task[None]] = set()  # writing or queueing their jobs
        self._writing = 0  # batches whose INSERT is in flight (bounded by max_inflight)
        self._unqueued: NewRows = []  # committed rows whose jobs are not queued yet
        self._queueing = False  # a flusher is queueing jobs (the others leave theirs to it)
        self.flushes = 0  # batches written (tests and the benchmark read these)
        self.rows = 0
        self.crowd = crowd
        self._pressure_at = float("-inf")  # when requests last had to queue or crowd a batch
        # Told of every pressure moment (`priority.PressureMark`: other processes hear of it).
        self.on_pressure = on_pressure

    def busy(self, hold: float = 0.5) -> bool:
        """Is ingest under pressure? Requests are queued behind a flush now, or were within
        the last `hold` seconds, or a batch that recent grouped `crowd` or more requests.

        Mere activity (a steady trickle of messages) is not pressure: that is the normal day,
        and in-process jobs must keep running then. The `hold` keeps a burst one pressure
        period instead of flickering between its batches.
        """
        if self._pending:
            return True
        return asyncio.get_running_loop().time() - self._pressure_at < hold

    def _pressure(self) -> None:
        self._pressure_at = asyncio.get_running_loop().time()
        if self.on_pressure is not None:
            self.on_pressure()

    async def submit(self, channel: str, items: Sequence[InboxItem]) -> int:
        """Store `items` (committed) and queue their processing; return how many were new."""
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        # A waiter that went away (cancelled) must not leave an unread exception behind.
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        rows = [(channel, item) for item in items]
        users = frozenset((channel, item.account_id, item.user_id) for item in items)
        self._pending.append(_Waiter(rows, users, done))
        self._pending_rows += len(rows)
        self._start_flushes()
        # The flush goes on even if this request is cancelled (client gone): the rows of
        # the other waiters in the same batch must still be written.
        return await asyncio.shield(done)

    def _start_flushes(self) -> None:
        while self._pending and self._writing < self.max_inflight:
            if self._writing and self._pending_rows < self.min_rows:
                break  # too few for a statement of their own: they go when a slot frees
            batch = self._take()
            if not batch:
                return  # everything pending belongs to users being written right now
            self._writing += 1
            task = asyncio.create_task(self._flush(batch), name="inbox-group-commit")
            self._flushers.add(task)
            task.add_done_callback(self._flushers.discard)
        if self._pending:
            self._pressure()  # requests are waiting for a free flush

    def _written(self) -> None:
        """A batch's INSERT is done: the next batch may start while this one's jobs are
        queued (the enqueue is a round trip of its own and must not hold the slot)."""
        self._writing -= 1
        self._start_flushes()

    def _take(self) -> list[_Waiter]:
        """The oldest waiters that fit one statement and touch no user being written.

        A waiter skipped for its users also blocks its users for the rest of this scan, so a
        user's later request never overtakes an earlier one.
        """
        batch: list[_Waiter] = []
        blocked = set(self._busy_users)
        kept: deque[_Waiter] = deque()
        rows = 0
        while self._pending:
            waiter = self._pending.popleft()
            fits = not batch or rows + len(waiter.rows) <= self._max_rows
            if fits and blocked.isdisjoint(waiter.users):
                batch.append(waiter)  # same user twice in one batch is fine: one statement
                rows += len(waiter.rows)
            else:
                kept.append(waiter)
                blocked |= waiter.users
        self._pending = kept
        for waiter in batch:
            self._busy_users |= waiter.users
        self._pending_rows -= rows
        return batch

    async def _flush(self, batch: list[_Waiter]) -> None:
        rows = [row for waiter in batch for row in waiter.rows]
        try:
            new = await self._store(rows)
        except BaseException as exc:  # every waiter must hear of it, even of a cancel
            for waiter in batch:
                if not waiter.done.done():
                    waiter.done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            log.warning("inbox group commit of %d request(s) failed: %r", len(batch), exc)
            return
        finally:
            # Committed (or failed): these users' next rows may go into another batch now.
            for waiter in batch:
                self._busy_users -= waiter.users
            self._written()
        self.flushes += 1
        self.rows += len(rows)
        if len(batch) >= self.crowd:
            self._pressure()
        fresh = {id(row) for row, _ in new}
        for waiter in batch:
            if not waiter.done.done():
                waiter.done.set_result(sum(id(row) in fresh for row in waiter.rows))
        if new:
            self._unqueued += new
            if not self._queueing:
                await self._queue_jobs()

    async def _queue_jobs(self) -> None:
        """Queue the processing jobs of every committed batch not queued yet, in one call.

        One call at a time: batches committed while a call is out join the next one (a
        Redis call costs about as much CPU as a small batch's INSERT). The committed rows are
        the durable queue and the job is only the wake-up: if it cannot be queued, the inbox
        sweep (`recover_inbox`) queues those rows a minute later.
        """
        self._queueing = True
        try:
            while self._unqueued:
                new, self._unqueued = self._unqueued, []
                try:
                    await self._after(new)
                except Exception as exc:
                    log.warning(
                        "inbox: %d new row(s) stored but not queued yet: %r", len(new), exc
                    )
        finally:
            self._queueing = False

    async def close(self) -> None:
        """Wait for the batches being written (shutdown, after the server stopped accepting)."""
        while self._flushers:
            await asyncio.gather(*self._flushers, return_exceptions=True)
