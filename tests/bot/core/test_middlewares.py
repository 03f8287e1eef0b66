"""Middleware order: dispatcher outer -> router outer chain (parent first) -> filters ->
inner chain (parent first, router-level before observer-level) -> handler."""

from __future__ import annotations

from typing import Any, ClassVar

from bot.core import UNHANDLED, BaseMiddleware, Dispatcher, NextHandler, Router
from bot.core.events import Event

from .helpers import follow, message, payload


class Recorder(BaseMiddleware):
    def __init__(self, log: list[str], name: str) -> None:
        self.log = log
        self.name = name

    async def __call__(self, handler: NextHandler, event: Event, data: dict[str, Any]) -> Any:
        self.log.append(self.name)
        result = await handler(event, data)
        self.log.append(f"/{self.name}")
        return result


def when(log: list[str], name: str, text: str) -> Any:
    def flt(event: Event) -> bool:
        log.append(f"filter {name}")
        return getattr(event, "text", None) == text

    return flt


def record(log: list[str], entry: str) -> Any:
    def handler() -> None:
        log.append(entry)

    return handler


def build(log: list[str]) -> Dispatcher:
    """dp > parent > child; every level has router- and message-level outer and inner."""
    dp = Dispatcher()
    parent = dp.include_router(Router(name="parent"))
    child = parent.include_router(Router(name="child"))
    for name, router in (("dp", dp), ("parent", parent), ("child", child)):
        router.outer_middleware(Recorder(log, f"{name} outer"))
        router.message.outer_middleware(Recorder(log, f"{name}.message outer"))
        router.payload.outer_middleware(Recorder(log, f"{name}.payload outer"))
        router.middleware(Recorder(log, f"{name} inner"))
        router.message.middleware(Recorder(log, f"{name}.message inner"))
        router.message.register(record(log, f"{name} handler"), when(log, name, name))
    return dp


async def test_order_for_a_handler_deep_in_the_tree() -> None:
    log: list[str] = []
    dp = build(log)
    await dp.feed_event(message("child"))
    assert log == [
        "dp outer",
        "dp.message outer",
        "filter dp",
        "parent outer",
        "parent.message outer",
        "filter parent",
        "child outer",
        "child.message outer",
        "filter child",
        "dp inner",
        "dp.message inner",
        "parent inner",
        "parent.message inner",
        "child inner",
        "child.message inner",
        "child handler",
        "/child.message inner",
        "/child inner",
        "/parent.message inner",
        "/parent inner",
        "/dp.message inner",
        "/dp inner",
        "/child.message outer",
        "/child outer",
        "/parent.message outer",
        "/parent outer",
        "/dp.message outer",
        "/dp outer",
    ]


async def test_a_match_at_the_root_runs_only_root_middlewares() -> None:
    log: list[str] = []
    dp = build(log)
    await dp.feed_event(message("dp"))
    assert log == [
        "dp outer",
        "dp.message outer",
        "filter dp",
        "dp inner",
        "dp.message inner",
        "dp handler",
        "/dp.message inner",
        "/dp inner",
        "/dp.message outer",
        "/dp outer",
    ]


async def test_unmatched_events_run_outer_but_never_inner() -> None:
    log: list[str] = []
    dp = build(log)
    assert await dp.feed_event(message("nobody")) is UNHANDLED
    assert not [entry for entry in log if "inner" in entry]
    assert "child.message outer" in log


async def test_router_level_middlewares_cover_every_kind_observer_level_only_one() -> None:
    log: list[str] = []
    dp = build(log)
    await dp.feed_event(payload("X"))
    assert log[:6] == [
        "dp outer",
        "dp.payload outer",
        "parent outer",
        "parent.payload outer",
        "child outer",
        "child.payload outer",
    ]
    assert not [entry for entry in log if "message" in entry]
    log.clear()
    await dp.feed_event(follow())
    assert log[:3] == ["dp outer", "parent outer", "child outer"]


async def test_middlewares_add_data_and_can_stop_processing() -> None:
    dp = Dispatcher()

    class Tenant(BaseMiddleware):
        provides: ClassVar[tuple[str, ...]] = ("tenant",)

        async def __call__(self, handler: NextHandler, event: Event, data: dict[str, Any]) -> Any:
            if event.user_id == "blocked":
                return "blocked"
            data["tenant"] = event.account_id
            return await handler(event, data)

    async def plain_function_middleware(
        handler: NextHandler, event: Event, data: dict[str, Any]
    ) -> Any:
        return f"[{await handler(event, data)}]"

    dp.outer_middleware(Tenant())
    dp.message.middleware(plain_function_middleware)
    dp.message.register(lambda tenant: f"tenant {tenant}")
    assert await dp.feed_event(message("x")) == "[tenant oa1]"
    assert await dp.feed_event(message("x", user="blocked")) == "blocked"


async def test_inner_middleware_sees_the_matched_handler() -> None:
    dp = Dispatcher()
    seen: list[str] = []

    async def spy(handler: NextHandler, event: Event, data: dict[str, Any]) -> Any:
        seen.append(data["handler"].name)
        return await handler(event, data)

    dp.middleware(spy)

    async def greet() -> str:
        return "hi"

    dp.message.register(greet)
    assert await dp.feed_event(message("x")) == "hi"
    assert seen and "greet" in seen[0]
