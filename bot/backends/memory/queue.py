"""The in-process job queue: asyncio workers in the serving process (no Redis, one process).

Job-id semantics match :class:`~bot.backends.redis.queue.ArqQueue`: an id is taken from
`enqueue` until the job has finished (including any `Retry` waits), then it can be used again.
Events themselves are deduplicated in the database, so this only stops duplicate *work*.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import Any

from bot.backends.base import JobFunc, JobQueue, Retry

log = logging.getLogger("bot.queue")


@dataclass(slots=True)
class _Job:
    name: str
    args: tuple[Any, ...]
    job_id: str | None
    tries: int = 0


class InProcessQueue(JobQueue):
    """`concurrency` worker tasks reading one asyncio queue.

    A failing (or, after `job_timeout`, cancelled) job is logged and dropped, never stopping a
    worker; `Retry(defer)` runs it again after the delay, up to the job's `max_tries`.
    Deferred jobs wait in loop timers.
    `close(drain=True)` stops the schedules, drops what is still deferred (the database
    sweeps pick that work up on the next start) and lets the workers finish everything
    already queued, including follow-up jobs those enqueue, within `drain_timeout`.
    """

    def __init__(
        self, *, concurrency: int = 8, job_timeout: float = 300.0, drain_timeout: float = 30.0
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._concurrency = concurrency
        self._job_timeout = job_timeout
        self._drain_timeout = drain_timeout
        self._funcs: dict[str, tuple[JobFunc, int]] = {}
        self._schedules: dict[str, float] = {}
        # (0 urgent / 1 normal, arrival, job): urgent jobs first, each kind in arrival order.
        self._queue: asyncio.PriorityQueue[tuple[int, int, _Job]] = asyncio.PriorityQueue()
        self._arrivals = itertools.count()
        self._urgent: set[str] = set()
        self._taken: set[str] = set()  # job ids queued, deferred or running
        self._timers: set[asyncio.TimerHandle] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._schedulers: list[asyncio.Task[None]] = []
        self._ctx: dict[str, Any] = {}
        self._started = False
        self._closing = False
        self._draining = False  # while closing, non-deferred follow-up jobs are still accepted

    @property
    def queued(self) -> int:
        """Jobs waiting for a worker (not counting deferred or running ones)."""
        return self._queue.qsize()

    def register(
        self, name: str, func: JobFunc, *, max_tries: int = 20, urgent: bool = False
    ) -> None:
        if self._started:
            raise RuntimeError(f"register job {name!r} before the queue starts")
        self._funcs[name] = (func, max(max_tries, 1))
        if urgent:
            self._urgent.add(name)

    def schedule(
        self, name: str, func: JobFunc, *, every_seconds: float, at_start: bool = False
    ) -> None:
        """Every schedule runs at start here (`at_start` or not): this process is the only
        runner, so the first period starts now."""
        if every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        self.register(name, func, max_tries=1)  # the next period is the retry
        self._schedules[name] = every_seconds

    async def enqueue(
        self, name: str, *args: Any, job_id: str | None = None, defer: float = 0.0
    ) -> bool:
        if name not in self._funcs:
            raise ValueError(f"unknown job {name!r}")
        if self._closing and (defer > 0 or not self._draining):
            log.warning("queue closing, job %s %s not queued", name, job_id or "")
            return False
        if job_id is not None:
            if job_id in self._taken:
                return False
            self._taken.add(job_id)
        self._put_later(_Job(name, args, job_id), defer)
        return True

    def _put(self, job: _Job) -> None:
        rank = 0 if job.name in self._urgent else 1
        self._queue.put_nowait((rank, next(self._arrivals), job))

    def _put_later(self, job: _Job, delay: float) -> None:
        if delay <= 0:
            self._put(job)
            return
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle | None = None

        def fire() -> None:
            self._timers.discard(handle)
            self._put(job)

        handle = loop.call_later(delay, fire)
        self._timers.add(handle)

    async def start(self, ctx: dict[str, Any]) -> None:
        if self._started:
            raise RuntimeError("queue already started")
        self._started = True
        self._ctx = dict(ctx)
        for n in range(self._concurrency):
            self._tasks.append(asyncio.create_task(self._work(), name=f"queue-worker-{n}"))
        self._schedulers = [
            asyncio.create_task(self._tick(name, every), name=f"queue-schedule-{name}")
            for name, every in self._schedules.items()
        ]

    async def _work(self) -> None:
        while True:
            _, _, job = await self._queue.get()
            try:
                await self._run(job)
            finally:
                self._queue.task_done()

    async def _run(self, job: _Job) -> None:
        func, max_tries = self._funcs[job.name]
        job.tries += 1
        ctx = {**self._ctx, "job_id": job.job_id, "job_try": job.tries}
        again = False
        try:
            async with asyncio.timeout(self._job_timeout):  # like arq's job_timeout
                await func(ctx, *job.args)
        except Retry as exc:
            if job.tries >= max_tries:
                log.warning("job %s dropped after %d tries (%s)", job.name, job.tries, exc)
            elif self._closing:
                log.warning("job %s not retried: queue closing", job.name)
            else:
                log.info("job %s retry %d in %.2fs", job.name, job.tries, exc.defer)
                self._put_later(job, exc.defer)
                again = True
        except Exception:
            log.exception("job %s %s failed", job.name, job.args)
        finally:
            if not again and job.job_id is not None:
                self._taken.discard(job.job_id)

    async def _tick(self, name: str, every: float) -> None:
        """Run `name` now and every `every` seconds; the job id stops a slow one overlapping."""
        while True:
            try:
                await self.enqueue(name, job_id=f"schedule:{name}")
            except Exception:  # pragma: no cover - enqueue only fails on programming errors
                log.exception("scheduling %s failed", name)
            await asyncio.sleep(every)

    async def close(self, *, drain: bool = True) -> None:
        if self._closing:
            return
        self._closing = True
        for task in self._schedulers:
            task.cancel()
        for handle in self._timers:
            handle.cancel()
        if self._timers:
            log.warning("queue closing: %d deferred jobs dropped", len(self._timers))
        self._timers.clear()
        if drain and self._tasks:
            self._draining = True
            try:
                async with asyncio.timeout(self._drain_timeout):
                    await self._queue.join()
            except TimeoutError:
                log.warning("queue drain timed out, %d jobs left", self._queue.qsize())
            finally:
                self._draining = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._schedulers, return_exceptions=True)
        self._tasks.clear()
        self._schedulers.clear()
        if self._queue.qsize():
            log.warning("queue closed with %d jobs not run", self._queue.qsize())
