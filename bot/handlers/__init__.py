"""The product flows as channel-neutral routers, identical on Zalo and Messenger.

`build_dispatcher(...)` assembles them, in this order (first match wins):

1. `extra_routers` (tests and tools go ahead of the product)
2. welcome: follow / Get Started, unfollow
   optout: the opt-out / opt-in chat words (`stop`, `dừng`, `hủy nhận tin`, `nhận tin`)
3. phone: shared numbers, and typed numbers while waiting for one (FSM states come early)
4. actions: payloads and typed commands that are action strings (`card`, `#card`, …)
5. keywords: the content file's `keywords:`
6. games: the in-chat games router (`bot.handlers.games`), when installed
7. default reply: anything else

Every text the flows send comes from the current content (`content.texts`, greetings, menu,
replies), read per event, so an admin's edit applies to the next message without a restart.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence

from bot.backends.base import FSMStorage, LockManager
from bot.core.dispatcher import Dispatcher
from bot.core.router import Router
from bot.handlers import actions, default_reply, keywords, optout, phone, welcome
from bot.handlers.errors import on_error
from bot.handlers.services import Services

log = logging.getLogger("bot.handlers")

GAMES_MODULE = "bot.handlers.games"
INJECTABLES = ("reply", "content", "channel", "inbox_id")
"""What the process passes with every event (`Runtime.dispatch`); `services` is fixed."""


def games_router() -> Router | None:
    """The games router, or None while `bot/handlers/games.py` does not exist.

    The module may export `make_router()` (a fresh router per dispatcher) or a module-level
    `router`; a module-level router still attached to an earlier dispatcher of this process
    (tests build several apps) is detached from it first, since a router has one parent.
    """
    try:
        module = importlib.import_module(GAMES_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != GAMES_MODULE:
            raise
        log.info("no games router installed (%s is missing)", GAMES_MODULE)
        return None
    factory = getattr(module, "make_router", None)
    router = factory() if callable(factory) else getattr(module, "router", None)
    if not isinstance(router, Router):
        raise TypeError(f"{GAMES_MODULE} must export `router: Router` or `make_router()`")
    old_parent = router.parent_router
    if old_parent is not None:
        old_parent.sub_routers.remove(router)
        router.parent_router = None
    return router


def build_dispatcher(
    *,
    storage: FSMStorage,
    locks: LockManager,
    services: Services,
    extra_routers: Sequence[Router] = (),
) -> Dispatcher:
    """The root router with the FSM (per-user lock, then state), every flow and the
    last-resort error handler."""
    dp = Dispatcher(
        storage=storage, locks=locks, injectables=INJECTABLES, name="bot", services=services
    )
    games = games_router()
    dp.declare(**{actions.GAME_ROUTER: games})
    dp.errors.register(on_error)
    for router in extra_routers:
        dp.include_router(router)
    dp.include_routers(
        welcome.make_router(),
        optout.make_router(),
        phone.make_router(),
        actions.make_router(),
        keywords.make_router(),
    )
    if games is not None:
        dp.include_router(games)
    dp.include_router(default_reply.make_router())
    return dp
