"""FSM storage on Redis: state as a string, data as JSON, both optionally expiring."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from bot.backends.base import FSMStorage, StorageKey
from bot.backends.redis.kv import to_ms


class RedisFSMStorage(FSMStorage):
    """Keys `{prefix}fsm:{channel}:{account}:{user}:{state|data}`.

    Empty state and data are deleted rather than stored, and `state_ttl`/`data_ttl` let
    abandoned conversations expire.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        state_ttl: float | None = None,
        data_ttl: float | None = None,
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}fsm"
        self._state_px = None if state_ttl is None else to_ms(state_ttl)
        self._data_px = None if data_ttl is None else to_ms(data_ttl)

    async def get_state(self, key: StorageKey) -> str | None:
        raw = await self._redis.get(key.build("state", self._prefix))
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def set_state(self, key: StorageKey, state: str | None) -> None:
        name = key.build("state", self._prefix)
        if state is None:
            await self._redis.delete(name)
        else:
            await self._redis.set(name, state, px=self._state_px)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        raw = await self._redis.get(key.build("data", self._prefix))
        return {} if raw is None else json.loads(raw)

    async def set_data(self, key: StorageKey, data: dict[str, Any]) -> None:
        name = key.build("data", self._prefix)
        if not data:
            await self._redis.delete(name)
        else:
            raw = json.dumps(data, ensure_ascii=False)
            await self._redis.set(name, raw, px=self._data_px)
