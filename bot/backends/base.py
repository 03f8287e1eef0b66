"""The small interfaces behind every shared-state need of the bot.

Each has an in-process implementation (used when `REDIS_URL` is empty, one process only) and a
Redis one (several `serve`/`worker` processes on several hosts). Code depends on these ABCs only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any


class LockTimeout(Exception):
    """A lock could not be taken within its blocking timeout."""


class KeyValue(ABC):
    """Strings with optional TTL: dedupe marks, cooldowns, small caches, counters."""

    @abstractmethod
    async def get(self, key: str) -> str | None: ...

    @abstractmethod
    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        """Store `value`; with `only_if_absent` return False (and change nothing) if present."""

    @abstractmethod
    async def delete(self, *keys: str) -> int: ...

    @abstractmethod
    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add to a counter; `ttl` is applied when the counter is created."""

    @abstractmethod
    async def ttl(self, key: str) -> float | None:
        """Seconds left, or None when the key is missing or has no expiry."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class LockManager(ABC):
    """Named mutual exclusion, across coroutines (memory) or across processes (Redis)."""

    @abstractmethod
    def lock(
        self, name: str, *, timeout: float = 30.0, blocking_timeout: float | None = None
    ) -> AbstractAsyncContextManager[None]:
        """Hold `name` for at most `timeout` seconds; wait at most `blocking_timeout`.

        Raises :class:`LockTimeout` when the wait runs out.
        """

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


@dataclass(frozen=True, slots=True)
class StorageKey:
    """Whose conversation state: the FSM is scoped per channel, account and user."""

    channel: str
    account_id: str
    user_id: str

    def build(self, part: str, prefix: str = "fsm") -> str:
        return f"{prefix}:{self.channel}:{self.account_id}:{self.user_id}:{part}"


class FSMStorage(ABC):
    """Per-user conversation state (a string) and data (a JSON-able dict)."""

    @abstractmethod
    async def get_state(self, key: StorageKey) -> str | None: ...

    @abstractmethod
    async def set_state(self, key: StorageKey, state: str | None) -> None: ...

    @abstractmethod
    async def get_data(self, key: StorageKey) -> dict[str, Any]: ...

    @abstractmethod
    async def set_data(self, key: StorageKey, data: dict[str, Any]) -> None: ...

    async def update_data(self, key: StorageKey, **values: Any) -> dict[str, Any]:
        data = await self.get_data(key)
        data.update(values)
        await self.set_data(key, data)
        return data

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class Retry(Exception):
    """Raised by a job to run again later (transient failure)."""

    def __init__(self, defer: float = 1.0) -> None:
        super().__init__(f"retry in {defer:.1f}s")
        self.defer = defer


JobFunc = Callable[..., Awaitable[Any]]
"""`async def job(ctx: dict[str, Any], *args) -> Any`; `ctx` carries shared clients."""


class JobQueue(ABC):
    """Background jobs: arq on Redis, an asyncio queue in-process."""

    @abstractmethod
    def register(
        self, name: str, func: JobFunc, *, max_tries: int = 20, urgent: bool = False
    ) -> None:
        """Make `func` runnable under `name` (call before `start`). `urgent` jobs (sending a
        reply) are taken before the jobs already waiting, so a burst's handler jobs never
        hold its first replies back."""

    @abstractmethod
    def schedule(
        self, name: str, func: JobFunc, *, every_seconds: float, at_start: bool = False
    ) -> None:
        """Run `func(ctx)` periodically while a worker is running; with `at_start`, also as
        soon as a worker starts (recovery jobs: a restarted worker picks up a dead one's work
        at once instead of at the next period)."""

    @abstractmethod
    async def enqueue(
        self, name: str, *args: Any, job_id: str | None = None, defer: float = 0.0
    ) -> bool:
        """Queue a job; with `job_id`, return False if that job is already queued or running."""

    async def enqueue_many(self, name: str, jobs: Sequence[tuple[tuple[Any, ...], str]]) -> int:
        """Queue several `(args, job_id)` jobs of one kind at once; return how many were new.

        The webhook's group commit calls this once per batch; backends override it to use one
        round trip instead of one per job. Arguments must be plain values (str, int, float,
        bool, None): Redis carries these jobs as JSON.
        """
        for args, _ in jobs:
            check_plain(args)  # all or nothing, like one script call
        added = 0
        for args, job_id in jobs:
            added += await self.enqueue(name, *args, job_id=job_id)
        return added

    @abstractmethod
    async def start(self, ctx: dict[str, Any]) -> None:
        """Start consuming in this process (the in-process queue, or `bot worker`)."""

    @abstractmethod
    async def close(self, *, drain: bool = True) -> None:
        """Stop consuming; with `drain`, finish what is already queued first."""


PLAIN_TYPES = (str, int, float, bool, type(None))


def check_plain(args: tuple[Any, ...]) -> None:
    """`enqueue_many` arguments travel as JSON: refuse what JSON would change or drop."""
    for arg in args:
        if not isinstance(arg, PLAIN_TYPES):
            raise TypeError(f"enqueue_many takes str, int, float, bool or None, not {arg!r}")
