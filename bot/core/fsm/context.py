"""`state` in handlers: one user's conversation state and data, over any FSMStorage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.backends.base import FSMStorage, StorageKey
from bot.core.fsm.state import State, state_name


class FSMContext:
    """A thin facade binding a storage to one `StorageKey(channel, account_id, user_id)`."""

    __slots__ = ("key", "storage")

    def __init__(self, storage: FSMStorage, key: StorageKey) -> None:
        self.storage = storage
        self.key = key

    async def get_state(self) -> str | None:
        return await self.storage.get_state(self.key)

    async def set_state(self, state: State | str | None = None) -> None:
        await self.storage.set_state(self.key, state_name(state))

    async def get_data(self) -> dict[str, Any]:
        return dict(await self.storage.get_data(self.key))

    async def set_data(self, data: Mapping[str, Any]) -> None:
        await self.storage.set_data(self.key, dict(data))

    async def update_data(
        self, data: Mapping[str, Any] | None = None, **values: Any
    ) -> dict[str, Any]:
        """Merge `data` and `values` into the stored data; return the result."""
        return await self.storage.update_data(self.key, **{**(data or {}), **values})

    async def get_value(self, name: str, default: Any = None) -> Any:
        return (await self.get_data()).get(name, default)

    async def clear(self) -> None:
        """Forget both the state and the data."""
        await self.storage.set_state(self.key, None)
        await self.storage.set_data(self.key, {})

    def __repr__(self) -> str:
        return f"<FSMContext {self.key}>"
