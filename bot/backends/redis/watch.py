"""Notice a Redis that restarted (or came back after an outage) and say so at once.

A Redis restarted without persistence has lost every queued job: the inbox rows and outbox
rows are still in the database, but their wake-ups are gone, and only the periodic sweeps
would find them, a minute or more later. The watch reads the server's `run_id` (new at
every start) every `interval` seconds; when it changes, or Redis answers again after
failing, `on_restart` runs (the runtime re-queues pending work there).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

log = logging.getLogger("bot.backends.redis.watch")


class RestartWatch:
    def __init__(
        self,
        redis: Redis,
        on_restart: Callable[[], Awaitable[object]],
        *,
        interval: float = 1.0,
    ) -> None:
        self._redis = redis
        self._on_restart = on_restart
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self.restarts = 0  # times `on_restart` ran (tests read it)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="redis-restart-watch")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run_id(self) -> str:
        info = await self._redis.info("server")
        return str(info.get("run_id", ""))

    async def _run(self) -> None:
        seen: str | None = None
        lost = False
        while True:
            try:
                run_id = await self._run_id()
            except Exception as exc:
                if not lost:
                    log.warning("Redis unreachable (%s); queued work resumes when it is back", exc)
                lost = True
            else:
                if (seen is not None and run_id != seen) or lost:
                    log.warning(
                        "Redis is back (restarted: %s): re-queueing pending work", run_id != seen
                    )
                    try:
                        await self._on_restart()
                        self.restarts += 1
                    except Exception:
                        log.exception("re-queueing after the Redis restart failed; again soon")
                        lost = True  # try again at the next look
                        await asyncio.sleep(self._interval)
                        continue
                seen, lost = run_id, False
            await asyncio.sleep(self._interval)
