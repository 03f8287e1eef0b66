"""Writing `sent` for broadcast rows in small groups: one UPDATE per group instead of one
per recipient.

The row is marked `sending` (one statement) right before its platform call, as before; after
the call the acceptance is kept here and written with the others of its group as soon as
`group` rows are waiting or `interval` seconds have passed, whichever comes first. What this
costs: if the process dies, the accepted rows not yet written stay `sending`, and recovery
records them `failed` ("unknown: … may have arrived"), never resent. The window of a dead
worker is thus its calls in flight plus at most one group (both bounded by the sender's
concurrency), instead of its calls in flight alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

from loyalty import rawsql


class SentWriter:
    def __init__(
        self, clock: Callable[[], datetime], *, group: int = 64, interval: float = 0.05
    ) -> None:
        self.clock = clock
        self.group = max(1, group)
        self.interval = interval
        self._waiting: list[tuple[int, str | None]] = []
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> SentWriter:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def sent(self, rid: int, platform_id: str | None) -> None:
        self._waiting.append((rid, platform_id))
        if len(self._waiting) >= self.group:
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            rows, self._waiting = self._waiting, []
            if not rows:
                return
            cases = " ".join("WHEN ? THEN ?" for _ in rows)
            args: list[object] = [self.clock()]
            for rid, pid in rows:
                args += [rid, pid]
            args += [rid for rid, _ in rows]
            await rawsql.execute(
                "UPDATE broadcast_recipient SET status = 'sent', sent_at = ?,"
                f" platform_message_id = CASE id {cases} END"
                f" WHERE id IN ({','.join('?' * len(rows))})",
                *args,
            )

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self._waiting:
                await self.flush()


class SendingMarker:
    """`claimed → sending` for the rows about to be called, a few per statement.

    A sender asks right before its call (after its pace slot); the marks waiting are written
    together once `group` are waiting or `delay` seconds after the first, and each asker
    learns whether its row was still claimed (a cancel may have taken it). So a row is
    `sending` only from a few milliseconds before its call, as when it was one statement per
    row, and the rows of a dead worker that were marked but never called are at most one
    group (recorded `unknown`, never resent, like the calls in flight)."""

    def __init__(self, *, group: int = 16, delay: float = 0.002) -> None:
        self.group = max(1, group)
        self.delay = delay
        self._waiting: list[tuple[int, str, asyncio.Future[bool]]] = []
        self._timer: asyncio.TimerHandle | None = None

    async def mark(self, rid: int, channel: str) -> bool:
        """True when the row is now `sending` (and may be called)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((rid, channel, future))
        if len(self._waiting) >= self.group:
            self._start()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._start)
        return await future

    def _start(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        rows, self._waiting = self._waiting, []
        if rows:
            task = asyncio.create_task(self._write(rows))
            _PENDING.add(task)
            task.add_done_callback(_PENDING.discard)

    async def _write(self, rows: list[tuple[int, str, asyncio.Future[bool]]]) -> None:
        try:
            cases = " ".join("WHEN ? THEN ?" for _ in rows)
            args: list[object] = []
            for rid, channel, _ in rows:
                args += [rid, channel]
            args += [rid for rid, _, _ in rows]
            found = await rawsql.fetch(
                f"UPDATE broadcast_recipient SET status = 'sending', channel = CASE id {cases}"
                f" END WHERE id IN ({','.join('?' * len(rows))}) AND status = 'claimed'"
                " RETURNING id",
                *args,
            )
        except Exception as exc:
            for _, _, future in rows:
                if not future.done():
                    future.set_exception(exc)
            return
        marked = {int(r["id"]) for r in found}
        for rid, _, future in rows:
            if not future.done():
                future.set_result(rid in marked)


_PENDING: set[asyncio.Task[None]] = set()  # keeps the write tasks alive until they end
