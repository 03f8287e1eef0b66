"""`serve`'s side of the SQLite inbox writer process (`sqlite_writer_proc`).

With SQLite, the webhook batches are written by a process of their own instead of
aiosqlite's thread inside `serve`: that thread competed with the event loop for the
interpreter lock at every step of the INSERT, and the loop slept a quarter of a burst
waiting for it. The process gets one batch at a time through a pipe (the group commit has
one batch in flight on SQLite) and answers once the batch is committed and synced.

If the process is not there (it could not start, died, or did not answer within
`answer_timeout`), the batch is written in-process as before (`WriterGone`; the caller falls
back) and a new process is tried again after `retry_after` seconds. A batch whose answer was
lost with the process may have been committed: written again in-process, its rows are found
already stored, and the caller queues them as if new (`inbox.InboxStore`). An error the
process reports (`WriterError`) is the statement's own: it fails the batch, the platform
retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from bot import fastjson
from bot.pipeline.ingest.sqlite_writer_proc import HEADER, encode_frame

log = logging.getLogger("bot.pipeline.ingest.sqlite_writer")

PROC_MODULE = "bot.pipeline.ingest.sqlite_writer_proc"
ROOT = Path(__file__).resolve().parents[3]  # where `bot` is importable from


class WriterGone(Exception):
    """The writer process is not running, or died before answering (the batch may or may
    not be committed: write it again, the dedupe key makes that safe)."""


class WriterError(Exception):
    """The writer process ran the batch and SQLite refused it (nothing committed)."""


class SqliteWriter:
    """A writer process for the SQLite file at `path`, started by `start`, one batch at a
    time through `store`, stopped by `close` (it also exits on its own if `serve` dies)."""

    def __init__(
        self,
        path: str,
        *,
        busy_timeout: float = 10.0,
        start_timeout: float = 30.0,
        answer_timeout: float | None = None,
        retry_after: float = 5.0,
        module: str = PROC_MODULE,
    ) -> None:
        self.path = path
        self.module = module  # the process's `-m` module (tests start misbehaving ones)
        self.busy_timeout = busy_timeout
        # A batch waits for SQLite's lock up to `busy_timeout`, then writes in a few ms: an
        # answer later than this means the process is stuck (a hung disk, a stopped process).
        self.answer_timeout = busy_timeout + 10.0 if answer_timeout is None else answer_timeout
        self.start_timeout = start_timeout
        self.retry_after = retry_after
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()  # one exchange at a time: the pipe carries no request ids
        self._retry_at = 0.0  # monotonic time before which no new process is tried
        self._closed = False
        self._spawning: asyncio.Task[Any] | None = None  # a replacement being started
        self.starts = 0  # processes started (tests and logs read it)
        self.batches = 0  # batches the process committed

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    async def start(self) -> bool:
        """Start the process and wait until its database is open; False (logged) if it
        could not, in which case `store` raises `WriterGone` until a later try works."""
        async with self._lock:
            return await self._spawn() is not None

    async def store(self, values: list[Any]) -> list[list[Any]]:
        """Write one batch (7 values per row); the new rows as [id, channel, dedupe_key]."""
        frame = encode_frame(values)
        async with self._lock:
            proc = self._proc
            if proc is None or proc.returncode is not None:
                if proc is not None:  # it died between two batches
                    self._lost(proc, f"exited with code {proc.returncode}")
                self._replace()
                raise WriterGone("the SQLite writer process is not running")
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(frame)
                await proc.stdin.drain()
                async with asyncio.timeout(self.answer_timeout):  # no task per batch
                    answer = await _read_frame(proc.stdout)
                rows = answer["rows"] if "error" not in answer else None
            except TimeoutError as exc:
                self._lost(proc, f"did not answer within {self.answer_timeout:.0f} s")
                raise WriterGone("the SQLite writer process did not answer") from exc
            except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
                self._lost(proc, f"died during a batch ({exc!r})")
                raise WriterGone(f"the SQLite writer process died: {exc!r}") from exc
            except (ValueError, KeyError) as exc:  # not our protocol: out of step from here
                self._lost(proc, f"sent an unreadable answer ({exc!r})")
                raise WriterGone(f"the SQLite writer process answered {exc!r}") from exc
            except BaseException:
                # Cancelled (or worse) between the request and its answer: the pipe is out
                # of step, so this process cannot be used again.
                self._lost(proc, "abandoned mid-batch")
                raise
        if rows is None:
            raise WriterError(str(answer["error"]))
        self.batches += 1
        return list(rows)

    async def close(self) -> None:
        """Let the process finish its batch and exit (its stdin closes), or kill it."""
        self._closed = True
        if self._spawning is not None:
            await asyncio.gather(self._spawning, return_exceptions=True)
        async with self._lock:
            proc, self._proc = self._proc, None
            if proc is None or proc.returncode is not None:
                return
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                log.warning("SQLite writer process %d did not exit: killing it", proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()

    def _replace(self) -> None:
        """Start a new process in the background, once the pause after a loss is over.
        Meanwhile batches are written in-process: a start takes a few hundred ms, which
        a batch (and every webhook waiting behind it) should not wait for."""
        if self._closed or self._spawning is not None or time.monotonic() < self._retry_at:
            return

        async def spawn() -> None:
            try:
                await self._spawn()
            finally:
                self._spawning = None

        self._spawning = asyncio.create_task(spawn(), name="sqlite-writer-start")

    async def _spawn(self) -> asyncio.subprocess.Process | None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
        args = [sys.executable, "-m", self.module, self.path, str(self.busy_timeout)]
        try:
            proc = await asyncio.create_subprocess_exec(
                *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env
            )
        except OSError as exc:
            self._lost(None, f"could not start: {exc!r}")
            return None
        try:
            assert proc.stdout is not None
            hello = await asyncio.wait_for(_read_frame(proc.stdout), self.start_timeout)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            self._lost(proc, f"did not get ready: {exc!r}")
            return None
        if "ready" not in hello:
            self._lost(proc, f"unexpected greeting {hello!r}")
            return None
        self._proc = proc
        self.starts += 1
        log.info(
            "SQLite writer process %d ready (SQLite %s, %s)", proc.pid, hello["ready"], self.path
        )
        return proc

    def _lost(self, proc: asyncio.subprocess.Process | None, why: str) -> None:
        """Forget (and stop) a process; the next one is tried after `retry_after`."""
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        if proc is self._proc:
            self._proc = None
        self._retry_at = time.monotonic() + self.retry_after
        log.warning(
            "SQLite writer process %s; webhooks are written in-process, next try in %.0f s",
            why,
            self.retry_after,
        )


async def _read_frame(stream: asyncio.StreamReader) -> dict[str, Any]:
    head = await stream.readexactly(HEADER.size)
    (size,) = HEADER.unpack(head)
    value = fastjson.loads(await stream.readexactly(size))
    if not isinstance(value, dict):
        raise ValueError(f"the SQLite writer sent {type(value).__name__}, not an object")
    return value
