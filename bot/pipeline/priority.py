"""Acknowledgements before handlers, across processes: `serve` marks webhook pressure in
Redis, and a `worker` holds its inbox jobs back while the mark is there.

In the one-process mode the in-process queue does this itself (`InProcessQueue.yield_to`).
With Redis, `worker` usually shares the host with `serve` (docker compose runs both there):
during a burst its handlers (renders, queries) took the CPU the acknowledgements needed.
`serve` now sets a short-lived mark whenever requests queue up for a write (at most every
`MARK_EVERY` seconds: one Redis call, not one per request), and a worker starting an inbox
job waits while the mark is there, at most `INGEST_PRIORITY_MAX_WAIT` seconds, and such jobs
run one at a time: the burst is acknowledged first and handled right after, and work never
starves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.backends.base import KeyValue

log = logging.getLogger("bot.pipeline.priority")

PRESSURE_KEY = "ingest:pressure"
MARK_TTL = 0.5  # seconds a mark lives: a burst keeps renewing it
MARK_EVERY = 0.2  # seconds between two marks from one process
POLL = 0.05  # seconds between two looks at the mark while waiting


class PressureMark:
    """`serve`'s side: call it when requests queue up; it renews the mark now and then."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv
        self._last = float("-inf")
        self._task: asyncio.Task[None] | None = None
        self.marks = 0  # marks written (tests read it)

    def __call__(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._task is not None or now - self._last < MARK_EVERY:
            return
        self._last = now
        self._task = asyncio.create_task(self._set(), name="ingest-pressure-mark")

    async def _set(self) -> None:
        try:
            await self.kv.set(PRESSURE_KEY, "1", ttl=MARK_TTL)
            self.marks += 1
        except Exception as exc:  # a missing mark only means handlers are not held back
            log.debug("ingest pressure mark not written: %r", exc)
        finally:
            self._task = None


class PressureGate:
    """A worker's side: `async with gate.turn():` around each inbox job."""

    def __init__(self, kv: KeyValue, max_wait: float) -> None:
        self.kv = kv
        self.max_wait = max_wait
        self._one_at_a_time = asyncio.Lock()
        self.held = 0  # jobs that had to wait (tests read it)

    async def _pressed(self) -> bool:
        try:
            return await self.kv.get(PRESSURE_KEY) is not None
        except Exception as exc:  # Redis trouble must not stop the handlers
            log.debug("ingest pressure mark not read: %r", exc)
            return False

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Run one inbox job: at once when `serve` is not busy; under pressure, after waiting
        for the mark to go (at most `max_wait` from the job's arrival) and one job at a
        time, as the in-process queue does."""
        if self.max_wait <= 0 or not await self._pressed():
            yield
            return
        self.held += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait  # from the job's arrival: never longer
        async with self._one_at_a_time:
            while await self._pressed():  # the mark lives in another process: polled
                left = deadline - loop.time()
                if left <= 0:
                    break
                await asyncio.sleep(min(POLL, left))
            yield
