"""Middlewares wrap the next step of event processing.

Two kinds, registrable on the dispatcher, on any router (all event kinds) and on one observer
(one kind):

* `outer_middleware` runs for every event that reaches that router or observer, before filters;
* `middleware` (inner) runs only after a handler matched; inner middlewares are collected along
  the router chain.

Order, outermost first: dispatcher outer -> outer of each router on the way down (parent before
child; router-level before observer-level) -> filters -> inner (parent before child;
router-level before observer-level) -> handler.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Sequence
from functools import partial
from typing import Any, ClassVar, TypeVar

from bot.core.events import Event

NextHandler = Callable[[Event, dict[str, Any]], Awaitable[Any]]
MiddlewareType = Callable[[NextHandler, Event, dict[str, Any]], Awaitable[Any]]
M = TypeVar("M", bound=MiddlewareType)


class BaseMiddleware(ABC):
    """Subclass and implement `__call__`; call `await handler(event, data)` to continue.

    List in `provides` the data keys the middleware adds, so handlers naming them pass
    `Dispatcher.validate()`; plain async functions may carry a `provides` attribute too.
    """

    provides: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    async def __call__(self, handler: NextHandler, event: Event, data: dict[str, Any]) -> Any:
        """Do work around `await handler(event, data)`, or return without calling it."""


class MiddlewareManager:
    """An ordered list of middlewares; `manager(mw)` registers and returns `mw`."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[MiddlewareType] = []

    def register(self, middleware: M) -> M:
        if not callable(middleware):
            raise TypeError(f"a middleware must be callable, got {middleware!r}")
        self._items.append(middleware)
        return middleware

    def __call__(self, middleware: M) -> M:
        return self.register(middleware)

    def unregister(self, middleware: MiddlewareType) -> None:
        self._items.remove(middleware)

    def provides(self) -> frozenset[str]:
        return frozenset(name for mw in self._items for name in getattr(mw, "provides", ()))

    def __iter__(self) -> Iterator[MiddlewareType]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def wrap(middlewares: Sequence[MiddlewareType], handler: NextHandler) -> NextHandler:
    """Nest `handler` in `middlewares`; the first one listed runs outermost."""
    for middleware in reversed(middlewares):
        handler = partial(middleware, handler)
    return handler
