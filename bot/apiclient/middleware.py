"""Request middlewares: what wraps every API call of a session, as one chain.

The shape of aiogram's session middlewares: a session runs `chain(middlewares, send)` for
each method object, outermost first, so credentials, a token refresh and quick retries are
small separate objects instead of one loop in each client. The innermost step is the
session's own: the HTTP call and the mapping of the answer to a result or a typed error.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.apiclient.retry import RetryPolicy

log = logging.getLogger("bot.apiclient")


@dataclass(slots=True)
class Call:
    """One method object on its way out, with the credentials the middlewares add (HTTP
    headers for Zalo, query parameters for Graph): never logged, never in an error."""

    method: Any
    credentials: dict[str, str] = field(default_factory=dict, repr=False)


Next = Callable[[Call], Awaitable[Any]]


class RequestMiddleware(ABC):
    @abstractmethod
    async def __call__(self, call_next: Next, call: Call) -> Any:
        """Do something around `await call_next(call)` and return its result."""


def chain(middlewares: Sequence[RequestMiddleware], send: Next) -> Next:
    """`middlewares[0]` runs first and `send` last."""
    handler = send
    for middleware in reversed(middlewares):
        handler = functools.partial(middleware, handler)
    return handler


class MiddlewareSession(ABC):
    """What both channels' sessions share: their middlewares, and the chain built once per
    registration around the session's own `_send` (the HTTP call and the answer's mapping)."""

    def __init__(self) -> None:
        self.middlewares: list[RequestMiddleware] = []
        self._run: Next = self._send

    def middleware(self, middleware: RequestMiddleware) -> RequestMiddleware:
        """Add a layer inside the ones added before (the first added runs first)."""
        self.middlewares.append(middleware)
        self._run = chain(self.middlewares, self._send)
        return middleware

    @abstractmethod
    async def _send(self, call: Call) -> Any:
        """The innermost step: one HTTP call, its answer as a result or a typed error."""


class QuickRetry(RequestMiddleware):
    """Retries at once, with jitter, only the errors that say `retry_in_call` (they certainly
    did not reach the platform, see `bot.apiclient.retry`); everything else goes up to the
    caller, whose outbox tries again later."""

    def __init__(self, policy: RetryPolicy, errors: type[Exception], label: str) -> None:
        self.policy = policy
        self._errors = errors
        self._label = label

    async def __call__(self, call_next: Next, call: Call) -> Any:
        attempt = 0
        while True:
            try:
                return await call_next(call)
            except self._errors as exc:
                if not getattr(exc, "retry_in_call", False):
                    raise
                if attempt + 1 >= self.policy.attempts:
                    raise
                delay = self.policy.delay(attempt)
                attempt += 1
                log.info(
                    "%s %s: %s; retry %d in %.2fs", self._label, _name(call), exc, attempt, delay
                )
                await asyncio.sleep(delay)


def _name(call: Call) -> str:
    method = call.method
    path = getattr(method, "__api_path__", None)
    return str(path) if path else type(method).__name__
