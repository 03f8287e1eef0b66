"""Acknowledgements before handlers: while webhooks are under pressure, handlers take
turns, and across processes `serve` tells a `worker` about the pressure through Redis.

Handlers share the machine with the acknowledgements (in the one-process mode the very same
process; with Redis, `worker` usually runs beside `serve`, as docker compose does). During a
burst their CPU (renders, queries) is what the acknowledgements lack, and a platform that
waits too long for its 200 retries and, in the end, disables the webhook. So under pressure:

- each event's handler first waits for the burst to pass, at most
  `INGEST_PRIORITY_MAX_WAIT` seconds from the moment it asked: a short burst is
  acknowledged first and handled right after;
- past that, handlers take one event at a time and rest between two, so that they are busy at
  most `INGEST_HANDLER_SHARE` of the time (a rest is never longer than the max wait): a
  long burst is still handled meanwhile, at a bounded pace, and work never starves;
- once the pressure is gone, everything runs at once again, as many jobs as the queue allows.

`serve` sets a short-lived mark in Redis whenever requests queue up for a write (at most
every `MARK_EVERY` seconds: one Redis call, not one per request); a worker's `PressureGate`
reads it. In the one-process mode the runtime's turns ask its group commit directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
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


class HandlerTurns:
    """`async with turns.turn():` around each piece of handler work: an event, an image drawn
    ahead (see the module docstring).

    `pressed()` says whether the webhooks are under pressure right now; it is asked again
    every `poll` seconds while a job waits. `max_wait <= 0` turns the whole thing off.
    """

    def __init__(
        self,
        pressed: Callable[[], Awaitable[bool]],
        *,
        max_wait: float,
        share: float = 1.0,
        poll: float = POLL,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self.pressed = pressed
        self.max_wait = max_wait
        self.share = share
        self.poll = poll
        self._one_at_a_time = asyncio.Lock()
        self._next_at = float("-inf")  # the end of the last job's rest
        self.held = 0  # jobs that ran under pressure (tests and the benchmark read it)

    def rest(self, ran: float) -> float:
        """The pause after a job that ran `ran` seconds: handlers keep to their share."""
        return min(self.max_wait, ran * (1 - self.share) / self.share)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self.max_wait <= 0 or not await self.pressed():
            yield
            return
        self.held += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait  # from the job's arrival
        async with self._one_at_a_time:
            while await self.pressed():  # the burst may end at any moment: asked again
                left = max(deadline, self._next_at) - loop.time()
                if left <= 0:
                    break
                await asyncio.sleep(min(self.poll, left))
            start = loop.time()
            try:
                yield
            finally:
                end = loop.time()
                self._next_at = end + self.rest(end - start)


class PressureGate(HandlerTurns):
    """A worker's side: its inbox jobs take turns while `serve`'s mark is in Redis."""

    def __init__(self, kv: KeyValue, max_wait: float, share: float = 1.0) -> None:
        self.kv = kv
        self._seen: tuple[float, bool] = (float("-inf"), False)  # when last read, and what
        super().__init__(self._marked, max_wait=max_wait, share=share, poll=POLL)

    async def _marked(self) -> bool:
        """Is the mark there? Read at most once per `POLL` (the waiting jobs and the feeder
        all ask, many times a second during a burst: one Redis call serves them all)."""
        now = asyncio.get_running_loop().time()
        read_at, marked = self._seen
        if now - read_at < POLL:
            return marked
        try:
            marked = await self.kv.get(PRESSURE_KEY) is not None
        except Exception as exc:  # Redis trouble must not stop the handlers
            log.debug("ingest pressure mark not read: %r", exc)
            marked = False
        self._seen = (asyncio.get_running_loop().time(), marked)
        return marked
