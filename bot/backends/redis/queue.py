"""The Redis job queue: arq 0.28 underneath, our :class:`JobQueue` on top.

Job-id semantics (the same as the in-process queue): `enqueue(..., job_id=X)` returns False
while a job X is queued, deferred, running or waiting to retry, and X is free again as soon
as it finished. For that, results are not kept (`keep_result=0`): arq would otherwise hold the
id for the result's lifetime. Webhook events are deduplicated in the database, not here.

Namespacing: the queue is `{prefix}arq:queue` and every job id is stored as `{prefix}{id}`.
arq's own key names are fixed (`arq:job:<id>`, `arq:in-progress:<id>`, ...), so the prefix
inside the id is what keeps deployments and test runs sharing one Redis apart.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
import uuid
from collections.abc import Sequence
from typing import Any

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from arq.worker import Function, Worker, func
from arq.worker import Retry as ArqRetry
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot import fastjson
from bot.backends.base import JobFunc, JobQueue, Retry, check_plain
from bot.backends.redis.kv import to_ms

log = logging.getLogger("bot.queue")

URGENT_LEAD = 600.0  # seconds: ahead of any backlog a burst leaves
# arq's `enqueue_job` for many jobs in one round trip: per job, the same test (no job and no
# result key under that id) and the same writes (job payload with expiry, queue entry), atomic
# because a script runs alone. KEYS: the queue. ARGV: expiry in ms, score (enqueue time in
# ms), arq's job key prefix, its result key prefix, then one JSON array of [arq id, payload]
# pairs. One argument for the whole batch, not three per job: redis-py packs every argument in
# Python, and that packing was most of the webhook's enqueue cost. The job keys are built here,
# not passed in KEYS: fine on a single Redis (arq does not support Redis Cluster either).
_ENQUEUE_MANY = """
local added = 0
for _, job in ipairs(cjson.decode(ARGV[5])) do
  local job_key = ARGV[3] .. job[1]
  if redis.call('EXISTS', job_key, ARGV[4] .. job[1]) == 0 then
    redis.call('PSETEX', job_key, ARGV[1], job[2])
    redis.call('ZADD', KEYS[1], ARGV[2], job[1])
    added = added + 1
  end
end
return added
"""


def dump_job(name: str, args: tuple[Any, ...], enqueue_time_ms: int) -> str:
    """arq's job payload as JSON text (its fields, `t`/`f`/`a`/`k`/`et`), for plain arguments.

    JSON instead of pickle because the payloads travel inside one JSON argument of the
    enqueue script; `load_job` reads both, so jobs queued by `enqueue` (pickled, arq's
    default) and by older versions still run.
    """
    check_plain(args)
    data: dict[str, Any] = {"t": None, "f": name, "a": args, "k": {}, "et": enqueue_time_ms}
    return fastjson.dumps(data)


def load_job(raw: bytes) -> Any:
    """arq's job deserializer: JSON payloads (`enqueue_many`) and pickles (everything else)."""
    if raw[:1] == b"{":
        data = fastjson.loads(raw)
        data["a"] = tuple(data["a"])
        return data
    return pickle.loads(raw)


class ArqQueue(JobQueue):
    """Enqueue from any process; `start(ctx)` runs an arq `Worker` in this event loop.

    `schedule(every_seconds)` is a small loop per job instead of arq's cron (which can't do
    sub-minute periods that don't divide 60): each period gets a `SET NX` mark, so with several
    workers one of them enqueues it, under a fixed job id so a slow run never overlaps the next.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        concurrency: int = 32,
        poll_delay: float = 0.05,
        job_timeout: float = 300.0,
        drain_timeout: float = 10.0,
    ) -> None:
        self._prefix = prefix
        self.queue_name = f"{prefix}arq:queue"
        # Shares the caller's connection pool; closing this client leaves the pool open.
        self._arq = ArqRedis(
            pool_or_conn=redis.connection_pool,
            default_queue_name=self.queue_name,
            job_deserializer=load_job,
        )
        self._concurrency = concurrency
        self._poll_delay = poll_delay
        self._job_timeout = job_timeout
        self._drain_timeout = drain_timeout
        self._functions: dict[str, Function] = {}
        self._urgent: set[str] = set()
        self._schedules: dict[str, tuple[float, bool]] = {}  # name: (period, at start)
        self._worker: Worker | None = None
        self._main: asyncio.Task[None] | None = None
        self._tickers: list[asyncio.Task[None]] = []
        self._closed = False
        self._enqueue_many = self._arq.register_script(_ENQUEUE_MANY)

    def _job_key(self, job_id: str | None) -> str:
        return f"{self._prefix}{job_id or uuid.uuid4().hex}"

    def register(
        self, name: str, func_: JobFunc, *, max_tries: int = 20, urgent: bool = False
    ) -> None:
        if self._worker is not None:
            raise RuntimeError(f"register job {name!r} before the queue starts")
        wrapped: Any = _wrap(func_, len(self._prefix))  # arq's WorkerCoroutine, loosely typed
        self._functions[name] = func(
            wrapped, name=name, max_tries=max(max_tries, 1), keep_result=0
        )
        if urgent:
            self._urgent.add(name)

    def schedule(
        self, name: str, func_: JobFunc, *, every_seconds: float, at_start: bool = False
    ) -> None:
        if every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        self.register(name, func_, max_tries=1)  # the next period is the retry
        self._schedules[name] = (every_seconds, at_start)

    async def enqueue(
        self, name: str, *args: Any, job_id: str | None = None, defer: float = 0.0
    ) -> bool:
        if name not in self._functions:
            raise ValueError(f"unknown job {name!r}")
        job = await self._arq.enqueue_job(
            name,
            *args,
            _job_id=self._job_key(job_id),
            _queue_name=self.queue_name,
            _defer_by=defer if defer > 0 else self._lead(name),
        )
        return job is not None

    def _lead(self, name: str) -> float | None:
        """An urgent job due now is scored `URGENT_LEAD` seconds in the past: arq takes the
        lowest scores first, so it runs before the jobs already waiting."""
        return -URGENT_LEAD if name in self._urgent else None

    async def enqueue_many(self, name: str, jobs: Sequence[tuple[tuple[Any, ...], str]]) -> int:
        if name not in self._functions:
            raise ValueError(f"unknown job {name!r}")
        if not jobs:
            return 0
        now_ms = int(time.time() * 1000)
        batch = [(self._job_key(job_id), dump_job(name, args, now_ms)) for args, job_id in jobs]
        argv: list[Any] = [
            self._arq.expires_extra_ms,
            now_ms,
            job_key_prefix,
            result_key_prefix,
            fastjson.dumps(batch),
        ]
        return int(await self._enqueue_many(keys=[self.queue_name], args=argv))

    async def start(self, ctx: dict[str, Any]) -> None:
        if self._worker is not None:
            raise RuntimeError("queue already started")
        self._worker = Worker(
            list(self._functions.values()),
            queue_name=self.queue_name,
            redis_pool=self._arq,
            job_deserializer=load_job,
            handle_signals=False,
            max_jobs=self._concurrency,
            job_timeout=self._job_timeout,
            keep_result=0,
            poll_delay=self._poll_delay,
            ctx=dict(ctx),  # arq adds `redis`, and `job_id`/`job_try` per job
        )
        self._main = asyncio.create_task(self._supervise(self._worker), name="arq-worker")
        self._tickers = [
            asyncio.create_task(self._tick(name, every, now), name=f"queue-schedule-{name}")
            for name, (every, now) in self._schedules.items()
        ]

    async def _tick(self, name: str, every: float, at_start: bool) -> None:
        first = at_start  # this period's mark may be a dead worker's: run once regardless
        while True:
            slot = int(time.time() // every)
            try:
                mark = f"{self._prefix}schedule:{name}:{slot}"
                marked = await self._arq.set(mark, b"1", nx=True, px=to_ms(every * 2))
                if marked or first:
                    await self.enqueue(name, job_id=f"schedule:{name}")
                first = False
            except Exception:
                log.exception("scheduling %s failed", name)
            await asyncio.sleep(max((slot + 1) * every - time.time(), 0.0))

    async def _due_unclaimed(self) -> bool:
        """Is a job due that no worker has started? (Deferred ones stay for the next start.)"""
        now_ms = int(time.time() * 1000)
        ids = await self._arq.zrangebyscore(self.queue_name, "-inf", now_ms, start=0, num=50)
        if not ids:
            return False
        async with self._arq.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.exists(in_progress_key_prefix + job_id.decode())
            running = await pipe.execute()
        return not all(running)

    async def close(self, *, drain: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        for task in self._tickers:
            task.cancel()
        await asyncio.gather(*self._tickers, return_exceptions=True)
        worker, main = self._worker, self._main
        if worker is not None and main is not None:
            if drain:
                await self._drain(worker)
            # arq's own burst exit: pick no more jobs, wait for the running ones, return.
            worker.burst = True
            worker.max_burst_jobs = 0
            if not drain:
                main.cancel()
                for task in worker.tasks.values():
                    task.cancel()  # arq puts a cancelled job back in the queue
            done, _ = await asyncio.wait({main}, timeout=self._drain_timeout)
            if not done:
                log.warning("queue jobs still running at close; arq will run them again")
                main.cancel()
                for task in worker.tasks.values():
                    task.cancel()
            await asyncio.gather(main, *worker.tasks.values(), return_exceptions=True)
            try:
                await self._arq.delete(worker.health_check_key)
            except RedisError as exc:  # shutting down with Redis gone must not stop the rest
                log.warning("queue close: %s", exc)
        await self._arq.aclose()

    async def _supervise(self, worker: Worker) -> None:
        """Run arq's loop; a lost Redis connection kills it, so start it again."""
        while True:
            try:
                await worker.main()
                return  # the burst exit asked for by `close`
            except Exception:
                log.exception("queue worker stopped; restarting")
                await asyncio.sleep(1.0)

    async def _drain(self, worker: Worker) -> None:
        """Run on while jobs are due or running here (they may queue follow-ups), bounded."""
        try:
            async with asyncio.timeout(self._drain_timeout):
                while True:
                    running = any(not t.done() for t in worker.tasks.values())
                    if not running and not await self._due_unclaimed():
                        return
                    await asyncio.sleep(self._poll_delay)
        except TimeoutError:
            log.warning("queue drain timed out; the rest stays queued in Redis")
        except Exception:
            log.exception("queue drain failed; the rest stays queued in Redis")


def _wrap(func_: JobFunc, prefix_len: int) -> JobFunc:
    """Call our job with our own job id, and turn our `Retry` into arq's."""

    async def job(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        job_ctx = {**ctx, "job_id": str(ctx.get("job_id", ""))[prefix_len:]}
        try:
            return await func_(job_ctx, *args, **kwargs)
        except Retry as exc:
            raise ArqRetry(defer=exc.defer) from exc

    return job
