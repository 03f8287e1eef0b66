"""Shared-state backends: key-value, locks, FSM storage and the job queue.

Code depends on the interfaces in :mod:`bot.backends.base`; :func:`build_backends` picks the
in-process or the Redis implementations from settings.
"""

from bot.backends.base import (
    FSMStorage,
    JobQueue,
    KeyValue,
    LockManager,
    LockTimeout,
    Retry,
    StorageKey,
)
from bot.backends.factory import Backends, build_backends
from bot.backends.ratelimit import RateLimiter

__all__ = [
    "Backends",
    "FSMStorage",
    "JobQueue",
    "KeyValue",
    "LockManager",
    "LockTimeout",
    "RateLimiter",
    "Retry",
    "StorageKey",
    "build_backends",
]
