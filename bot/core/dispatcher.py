"""The Dispatcher: the root router, the DI container's owner and the FSM's home.

    dp = Dispatcher(storage=fsm_storage, locks=lock_manager, injectables=("reply", "content"))
    dp.include_router(menu_router)
    await dp.emit_startup()                 # validates every handler signature first
    await dp.feed_event(event, reply=reply, content=content)

With `storage` and `locks`, the FSM middleware is the first dispatcher-level outer middleware:
it takes the user's lock, reads the state and holds the lock until the handler returns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, ClassVar

from bot.backends.base import FSMStorage, LockManager
from bot.core.events import Event
from bot.core.exceptions import HandlerSignatureError
from bot.core.fsm.middleware import FSMContextMiddleware
from bot.core.handler import UNHANDLED
from bot.core.router import Router
from bot.core.validation import BUILTINS, check_tree

log = logging.getLogger("bot.core.dispatcher")


class Dispatcher(Router):
    """Feed neutral events in; the first matching handler's return value comes out."""

    is_root: ClassVar[bool] = True

    def __init__(
        self,
        *,
        storage: FSMStorage | None = None,
        locks: LockManager | None = None,
        injectables: Iterable[str] = (),
        name: str | None = None,
        fsm_lock_timeout: float = 10.0,  # a lease on Redis: renewed while held
        fsm_wait_timeout: float | None = 60.0,
        **workflow_data: Any,
    ) -> None:
        super().__init__(name=name or "dispatcher")
        if (storage is None) != (locks is None):
            raise ValueError("the FSM needs both storage and locks (or neither)")
        self.workflow_data: dict[str, Any] = dict(workflow_data)
        self._declared: set[str] = set()
        self.declare(*injectables)
        self._validated = False
        self.fsm: FSMContextMiddleware | None = None
        if storage is not None and locks is not None:
            self.fsm = FSMContextMiddleware(
                storage, locks, lock_timeout=fsm_lock_timeout, wait_timeout=fsm_wait_timeout
            )
            self.outer_middleware.register(self.fsm)

    def declare(self, *names: str, **values: Any) -> None:
        """Make names injectable: `names` are passed per event to `feed_event`, `values` are
        fixed for every event (workflow data)."""
        for name in (*names, *values):
            if not name.isidentifier() or name in BUILTINS:
                raise ValueError(f"{name!r} cannot be declared as an injectable name")
        self._declared.update(names, values)
        self.workflow_data.update(values)
        self._validated = False

    @property
    def injectables(self) -> frozenset[str]:
        """Names every handler may ask for (middlewares and filters add more on their path)."""
        return BUILTINS | self._declared | self.workflow_data.keys()

    def validate(self) -> None:
        """Raise HandlerSignatureError listing every parameter nothing would inject."""
        problems = check_tree(self, self.injectables)
        if problems:
            known = ", ".join(sorted(self.injectables))
            raise HandlerSignatureError(
                "unknown handler parameters:\n  "
                + "\n  ".join(problems)
                + f"\n(always injectable: {known}; declare more with"
                " Dispatcher(injectables=...) or dp.declare(...))"
            )
        self._validated = True

    async def feed_event(self, event: Event, **kwargs: Any) -> Any:
        """Route one event; returns the handler's result, or UNHANDLED."""
        if not self._validated:
            self.validate()
        if event.kind not in self.observers:
            log.warning("no observer for event kind %r (%s); skipped", event.kind, event.event_id)
            return UNHANDLED
        reserved = BUILTINS.intersection(kwargs)
        if reserved:
            raise TypeError(f"feed_event() got reserved data keys: {sorted(reserved)}")
        data = {**self.workflow_data, **kwargs, "event": event, "dispatcher": self}
        return await self.propagate(event, data)

    def _hook_data(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**self.workflow_data, **kwargs, "dispatcher": self}

    def _check_hooks(self, which: str, data: dict[str, Any]) -> None:
        problems = [
            f"{router!r} {which}: {hook.name} asks for {name!r}, which is not in {sorted(data)}"
            for router in self.chain_tail
            for hook in getattr(router, which).callbacks
            for name in hook.required
            if name not in data and name != "data"
        ]
        if problems:
            raise HandlerSignatureError("\n".join(problems))

    async def emit_startup(self, **kwargs: Any) -> None:
        """Validate every handler, then run startup hooks, root first."""
        self.validate()
        data = self._hook_data(kwargs)
        self._check_hooks("startup", data)
        for router in self.chain_tail:
            await router.startup.emit(data)

    async def emit_shutdown(self, **kwargs: Any) -> None:
        """Run shutdown hooks in reverse startup order; one failing does not stop the rest."""
        data = self._hook_data(kwargs)
        for router in reversed(list(self.chain_tail)):
            for hook in reversed(router.shutdown.callbacks):
                try:
                    await hook.call(data)
                except Exception:
                    log.exception("shutdown hook %s failed", hook.name)
