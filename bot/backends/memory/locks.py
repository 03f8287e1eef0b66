"""Named asyncio locks that are forgotten as soon as nobody holds or waits for them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from bot.backends.base import LockManager, LockTimeout


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # holders plus waiters


class MemoryLocks(LockManager):
    """Per-name locks with a reference count.

    A lock per user would otherwise stay in the dict forever (aiogram's `SimpleEventIsolation`
    never prunes), so an entry is dropped when its last holder or waiter leaves. `timeout`
    (auto-release) is accepted for interface parity but not needed: a crashed holder in one
    process takes its locks with it.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def lock(
        self, name: str, *, timeout: float = 30.0, blocking_timeout: float | None = None
    ) -> AbstractAsyncContextManager[None]:
        return self._hold(name, blocking_timeout)

    @asynccontextmanager
    async def _hold(self, name: str, blocking_timeout: float | None) -> AsyncIterator[None]:
        entry = self._entries.get(name)
        if entry is None:
            entry = self._entries[name] = _Entry()
        entry.users += 1
        try:
            await self._acquire(entry.lock, name, blocking_timeout)
            try:
                yield
            finally:
                entry.lock.release()
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[name]

    @staticmethod
    async def _acquire(lock: asyncio.Lock, name: str, blocking_timeout: float | None) -> None:
        if blocking_timeout is None:
            await lock.acquire()
            return
        if blocking_timeout <= 0 and lock.locked():
            raise LockTimeout(name)
        try:
            async with asyncio.timeout(max(blocking_timeout, 0.0)):
                await lock.acquire()
        except TimeoutError:
            raise LockTimeout(name) from None
