"""In-process backends: one process, no Redis (`REDIS_URL` empty)."""

from bot.backends.memory.fsm import MemoryFSMStorage
from bot.backends.memory.kv import MemoryKeyValue
from bot.backends.memory.locks import MemoryLocks
from bot.backends.memory.queue import InProcessQueue

__all__ = ["InProcessQueue", "MemoryFSMStorage", "MemoryKeyValue", "MemoryLocks"]
