"""Observers: the handlers of one event kind on one router.

`router.message(...)` registers a message handler; the first handler whose filters all pass
handles the event. Each observer has its own outer and inner middlewares and root filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, overload

from bot.core.events import Event
from bot.core.exceptions import SkipHandler
from bot.core.handler import UNHANDLED, CallableObject, FilterObject, HandlerObject, as_filter
from bot.core.middlewares.base import MiddlewareManager, MiddlewareType, NextHandler, wrap

C = TypeVar("C", bound=Callable[..., Any])


def _invoke(handler: HandlerObject) -> NextHandler:
    async def run(event: Event, data: dict[str, Any]) -> Any:
        return await handler.call(data)

    return run


class EventObserver:
    """Handlers for one event kind (`message`, `payload`, ... or `error`) on one router."""

    def __init__(self, kind: str, *, injects: Iterable[str] = ()) -> None:
        self.kind = kind
        self.injects = frozenset(injects)  # names only this observer adds, e.g. "exception"
        self.handlers: list[HandlerObject] = []
        self.root_filters: list[FilterObject] = []
        self.outer_middleware = MiddlewareManager()
        self.middleware = MiddlewareManager()

    def register(self, callback: C, *filters: Any) -> C:
        """Add a handler; filters are Filter objects or plain callables, all must pass."""
        self.handlers.append(HandlerObject(callback, filters))
        return callback

    def __call__(self, *filters: Any) -> Callable[[C], C]:
        """Decorator form: `@router.message(Text(equals="menu"))`."""

        def decorator(callback: C) -> C:
            return self.register(callback, *filters)

        return decorator

    def filter(self, *filters: Any) -> None:
        """Root filters: when one rejects, this router and its sub-routers skip the event."""
        self.root_filters.extend(as_filter(f) for f in filters)

    async def check_root(self, data: Mapping[str, Any]) -> dict[str, Any] | None:
        extra: dict[str, Any] = {}
        for flt in self.root_filters:
            result = await flt.check({**data, **extra} if extra else data)
            if result is None:
                return None
            extra.update(result)
        return extra

    async def trigger(
        self, event: Event, data: dict[str, Any], inner: Sequence[MiddlewareType] = ()
    ) -> Any:
        """Run the first matching handler inside the `inner` middlewares; else UNHANDLED."""
        for handler in self.handlers:
            extra = await handler.check(data)
            if extra is None:
                continue
            try:
                return await wrap(inner, _invoke(handler))(
                    event, {**data, **extra, "handler": handler}
                )
            except SkipHandler:
                continue
        return UNHANDLED

    def __repr__(self) -> str:
        return f"<EventObserver {self.kind} handlers={len(self.handlers)}>"


class HookObserver:
    """Startup or shutdown callbacks: all of them run, in registration order."""

    def __init__(self) -> None:
        self.callbacks: list[CallableObject] = []

    def register(self, callback: C) -> C:
        self.callbacks.append(CallableObject(callback))
        return callback

    @overload
    def __call__(self, callback: C) -> C: ...
    @overload
    def __call__(self, callback: None = None) -> Callable[[C], C]: ...
    def __call__(self, callback: C | None = None) -> C | Callable[[C], C]:
        """`@router.startup` and `@router.startup()` both register."""
        if callback is not None:
            return self.register(callback)
        return self.register

    async def emit(self, data: Mapping[str, Any]) -> None:
        for callback in self.callbacks:
            await callback.call(data)
