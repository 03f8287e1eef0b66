"""Routers group handlers by feature; the Dispatcher is the root router.

An event goes down the tree: at each router the outer middlewares run, then the observer's
root filters, then its handlers in order (first match wins), then the sub-routers in inclusion
order. An exception goes to the `errors` handlers of the router it passes through, nearest
first; if none handles it, it is re-raised.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any, ClassVar

from bot.core.events import EVENT_KINDS, Event
from bot.core.exceptions import RouterInclusionError
from bot.core.handler import UNHANDLED
from bot.core.middlewares.base import MiddlewareManager, MiddlewareType, wrap
from bot.core.observer import EventObserver, HookObserver


class Router:
    """Handlers for every neutral event kind, plus errors, startup and shutdown hooks."""

    is_root: ClassVar[bool] = False

    def __init__(self, *, name: str | None = None) -> None:
        self.name = name or f"router-{id(self):x}"
        self.parent_router: Router | None = None
        self.sub_routers: list[Router] = []
        self.observers: dict[str, EventObserver] = {
            cls.kind: EventObserver(cls.kind) for cls in EVENT_KINDS
        }
        self.message = self.observers["message"]
        self.payload = self.observers["payload"]
        self.follow = self.observers["follow"]
        self.unfollow = self.observers["unfollow"]
        self.shared_info = self.observers["shared_info"]
        self.referral = self.observers["referral"]
        self.reaction = self.observers["reaction"]
        self.errors = EventObserver("error", injects=("exception",))
        self.startup = HookObserver()
        self.shutdown = HookObserver()
        self.outer_middleware = MiddlewareManager()  # every kind, before filters
        self.middleware = MiddlewareManager()  # every kind, after a handler matched

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def include_router(self, router: Router) -> Router:
        """Attach `router` below this one; a router has at most one parent and no cycles."""
        if not isinstance(router, Router):
            raise TypeError(f"expected a Router, got {router!r}")
        if router is self:
            raise RouterInclusionError(f"{self!r} cannot include itself")
        if router.is_root:
            raise RouterInclusionError(f"{router!r} is a root and cannot be included")
        if router.parent_router is not None:
            raise RouterInclusionError(
                f"{router!r} is already included in {router.parent_router!r}"
            )
        if any(node is router for node in self.chain_head):
            raise RouterInclusionError(f"including {router!r} in {self!r} makes a cycle")
        router.parent_router = self
        self.sub_routers.append(router)
        return router

    def include_routers(self, *routers: Router) -> None:
        for router in routers:
            self.include_router(router)

    @property
    def chain_head(self) -> Iterator[Router]:
        """This router, its parent, ..., the root."""
        node: Router | None = self
        while node is not None:
            yield node
            node = node.parent_router

    @property
    def chain_tail(self) -> Iterator[Router]:
        """This router and every descendant, depth first, in inclusion order."""
        yield self
        for router in self.sub_routers:
            yield from router.chain_tail

    async def propagate(
        self, event: Event, data: dict[str, Any], inner: Sequence[MiddlewareType] = ()
    ) -> Any:
        """Offer `event` to this router and its sub-routers; `inner` comes from the parents."""
        observer = self.observers[event.kind]
        outer = (*self.outer_middleware, *observer.outer_middleware)
        try:
            return await wrap(outer, partial(self._route, observer=observer, inner=inner))(
                event, data
            )
        except Exception as exc:
            if self.errors.handlers:
                result = await self.errors.trigger(
                    event, {**data, "exception": exc}, tuple(self.errors.middleware)
                )
                if result is not UNHANDLED:
                    return result
            raise

    async def _route(
        self,
        event: Event,
        data: dict[str, Any],
        *,
        observer: EventObserver,
        inner: Sequence[MiddlewareType],
    ) -> Any:
        extra = await observer.check_root(data)
        if extra is None:
            return UNHANDLED
        if extra:
            data = {**data, **extra}
        chain = (*inner, *self.middleware, *observer.middleware)
        result = await observer.trigger(event, data, chain)
        if result is not UNHANDLED:
            return result
        for router in self.sub_routers:
            result = await router.propagate(event, data, chain)
            if result is not UNHANDLED:
                return result
        return UNHANDLED
