"""In-process FSM storage, kept as JSON strings in a :class:`MemoryKeyValue`."""

from __future__ import annotations

import json
from typing import Any

from bot.backends.base import FSMStorage, StorageKey
from bot.backends.memory.kv import MemoryKeyValue


class MemoryFSMStorage(FSMStorage):
    """State and data per :class:`StorageKey`, with the same semantics as the Redis storage.

    Data goes through JSON so that something that would fail (or silently change, like a tuple)
    in production fails the same way in development. Empty state and data are deleted, and the
    optional TTLs expire abandoned conversations, so the dict doesn't grow with every user.
    """

    def __init__(self, *, state_ttl: float | None = None, data_ttl: float | None = None) -> None:
        self._kv = MemoryKeyValue()
        self._state_ttl = state_ttl
        self._data_ttl = data_ttl

    def __len__(self) -> int:
        return len(self._kv)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self._kv.get(key.build("state"))

    async def set_state(self, key: StorageKey, state: str | None) -> None:
        if state is None:
            await self._kv.delete(key.build("state"))
        else:
            await self._kv.set(key.build("state"), state, ttl=self._state_ttl)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        raw = await self._kv.get(key.build("data"))
        return {} if raw is None else json.loads(raw)

    async def set_data(self, key: StorageKey, data: dict[str, Any]) -> None:
        if not data:
            await self._kv.delete(key.build("data"))
        else:
            raw = json.dumps(data, ensure_ascii=False)
            await self._kv.set(key.build("data"), raw, ttl=self._data_ttl)
