"""Redis backends: shared state for several `serve`/`worker` processes (`REDIS_URL` set)."""

from bot.backends.redis.fsm import RedisFSMStorage
from bot.backends.redis.kv import RedisKeyValue
from bot.backends.redis.locks import RedisLocks
from bot.backends.redis.queue import ArqQueue

__all__ = ["ArqQueue", "RedisFSMStorage", "RedisKeyValue", "RedisLocks"]
