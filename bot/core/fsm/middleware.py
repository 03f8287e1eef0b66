"""The FSM outer middleware: per-user lock first, then state, then the handler.

Reading the state before holding the lock lets two fast messages from one user both pass a
`StateFilter` (aiogram #1317); here the state is read only under the lock, and the lock is
held until the handler (and its state changes) are done.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bot.backends.base import FSMStorage, LockManager, StorageKey
from bot.core.events import Event
from bot.core.fsm.context import FSMContext
from bot.core.middlewares.base import BaseMiddleware, NextHandler


def storage_key(event: Event) -> StorageKey:
    """The FSM is scoped per channel, account (OA or Page) and user."""
    return StorageKey(event.channel, event.account_id, event.user_id)


class FSMContextMiddleware(BaseMiddleware):
    """Injects `state` (FSMContext) and `raw_state` (str | None) under the user's lock."""

    provides: ClassVar[tuple[str, ...]] = ("state", "raw_state")

    def __init__(
        self,
        storage: FSMStorage,
        locks: LockManager,
        *,
        lock_timeout: float = 10.0,
        wait_timeout: float | None = 60.0,
    ) -> None:
        self.storage = storage
        self.locks = locks
        self.lock_timeout = lock_timeout
        self.wait_timeout = wait_timeout

    async def __call__(self, handler: NextHandler, event: Event, data: dict[str, Any]) -> Any:
        key = storage_key(event)
        async with self.locks.lock(
            key.build("lock"), timeout=self.lock_timeout, blocking_timeout=self.wait_timeout
        ):
            context = FSMContext(self.storage, key)
            data["state"] = context
            data["raw_state"] = await context.get_state()
            return await handler(event, data)
