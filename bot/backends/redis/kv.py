"""Key-value on Redis: every key is namespaced with the deployment's prefix."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.backends.base import KeyValue

# INCRBY that sets the expiry only when it creates the key, in one atomic step.
_INCR_TTL = """
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
"""


def to_ms(seconds: float) -> int:
    """Redis expiries are whole milliseconds; never round a positive TTL down to 'no TTL'."""
    return max(round(seconds * 1000), 1)


class RedisKeyValue(KeyValue):
    """`SET NX PX`, `INCRBY`, `PTTL` under `prefix`; the client is shared and closed elsewhere."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._incr = redis.register_script(_INCR_TTL)

    def _key(self, key: str) -> str:
        return f"{self._prefix}kv:{key}"

    async def get(self, key: str) -> str | None:
        raw = await self._redis.get(self._key(key))
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        px = None if ttl is None else to_ms(ttl)
        done = await self._redis.set(self._key(key), value, px=px, nx=only_if_absent)
        return bool(done)

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        return int(await self._redis.delete(*(self._key(k) for k in keys)))

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        px = 0 if ttl is None else to_ms(ttl)
        return int(await self._incr(keys=[self._key(key)], args=[amount, px]))

    async def ttl(self, key: str) -> float | None:
        ms = int(await self._redis.pttl(self._key(key)))
        return None if ms < 0 else ms / 1000
