"""The live content: loaded at start, reloaded when the admin saves the file.

Polling (stat + read + hash every `reload_seconds`) works the same with every editor, on
network and container mounts, and when the file is replaced by a rename. A change is loaded
once two polls read the same bytes, so a half-written file is not reported as broken. A
broken edit is logged problem by problem and the last good content keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.content.errors import ContentError, Problem
from bot.content.loader import display_path, load_content, parse_content
from bot.content.schema import Content

log = logging.getLogger("bot.content")

Listener = Callable[[Content], Awaitable[None] | None]
FailureListener = Callable[[list[Problem]], Awaitable[None] | None]


class ContentStore:
    """Holds the current `Content`; `version` grows by one with every successful (re)load."""

    def __init__(self, path: Path | str, reload_seconds: float = 2.0) -> None:
        self.path = Path(path)
        self.reload_seconds = reload_seconds
        self.version = 0
        self.problems: list[Problem] = []  # what is wrong with the file on disk, if anything
        self._current: Content | None = None
        self._listeners: list[Listener] = []
        self._failure_listeners: list[FailureListener] = []
        self._task: asyncio.Task[None] | None = None
        self._pending: str | None = None  # digest seen once, loaded when seen again
        self._logged: list[str] = []

    @property
    def current(self) -> Content:
        if self._current is None:
            raise RuntimeError("ContentStore.start() has not loaded the content yet")
        return self._current

    async def start(self) -> None:
        """Load the file (raises `ContentError` when it is broken) and start watching it."""
        self._current = load_content(self.path)
        self.version = 1
        log.info("content loaded: %s (%s)", display_path(self.path), self._current.digest[:12])
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="content-watch")

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """Call `callback(content)` after each successful reload; returns an unsubscribe."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def subscribe_failures(self, callback: FailureListener) -> Callable[[], None]:
        """Call `callback(problems)` when a changed file fails to load."""
        self._failure_listeners.append(callback)
        return lambda: self._failure_listeners.remove(callback)

    async def check(self, *, settle: bool = True) -> bool:
        """Look at the file once; True when new content was loaded.

        With `settle`, a changed file is only loaded once it reads the same on two calls.
        """
        try:
            raw = await asyncio.to_thread(self.path.read_bytes)
        except OSError as exc:
            problem = Problem(
                display_path(self.path),
                1,
                "(file)",
                f"cannot read it ({exc.strerror})",
                "put the file back; the last good content keeps serving",
            )
            await self._failed([problem])
            return False
        digest = hashlib.sha256(raw).hexdigest()
        if self._current is not None and digest == self._current.digest:
            self._pending = None
            self._recovered()
            return False
        if settle and digest != self._pending:
            self._pending = digest
            return False
        self._pending = None
        try:
            content = await asyncio.to_thread(parse_content, raw, self.path)
        except ContentError as exc:
            await self._failed(exc.problems)
            return False
        self._current = content
        self.version += 1
        self._recovered()
        log.info(
            "content reloaded: %s (%s, version %d)",
            display_path(self.path),
            content.digest[:12],
            self.version,
        )
        for listener in list(self._listeners):
            await self._call(listener, content)
        return True

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.reload_seconds)
            try:
                await self.check()
            except Exception:  # the watcher must survive anything a listener does
                log.exception("content watcher error")

    async def _failed(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [str(p) for p in problems]
        if lines == self._logged:
            return  # same broken file as last time: say it once
        self._logged = lines
        log.error(
            "content file has %d problem(s); still serving the last good content", len(lines)
        )
        for line in lines:
            log.error("%s", line)
        for listener in list(self._failure_listeners):
            await self._call(listener, problems)

    def _recovered(self) -> None:
        self.problems = []
        self._logged = []

    @staticmethod
    async def _call(callback: Callable[..., object], arg: object) -> None:
        try:
            result = callback(arg)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("content listener %r failed", callback)
