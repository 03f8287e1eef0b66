from __future__ import annotations

from typing import Any

import pytest

from bot.core import Dispatcher, ExceptionType, Router, Text
from bot.core.events import Event

from .helpers import message


class Boom(Exception):
    pass


def raiser(exc: Exception) -> Any:
    def handler() -> None:
        raise exc

    return handler


def tree() -> tuple[Dispatcher, Router, Router]:
    dp = Dispatcher()
    parent = dp.include_router(Router(name="parent"))
    child = parent.include_router(Router(name="child"))
    child.message.register(raiser(Boom("boom")), Text(equals="boom"))
    child.message.register(raiser(KeyError("key")), Text(equals="key"))
    child.message.register(raiser(ValueError("value")), Text(equals="value"))
    return dp, parent, child


async def test_errors_go_to_the_nearest_router_first() -> None:
    dp, parent, child = tree()
    child.errors.register(lambda exception: f"child got {exception}", ExceptionType(Boom))
    parent.errors.register(lambda exception: f"parent got {exception!r}", ExceptionType(KeyError))
    dp.errors.register(lambda exception, event: f"dp got {exception} for {event.user_id}")

    assert await dp.feed_event(message("boom")) == "child got boom"
    assert await dp.feed_event(message("key")) == "parent got KeyError('key')"
    assert await dp.feed_event(message("value")) == "dp got value for u1"


async def test_unhandled_errors_are_reraised() -> None:
    dp, _, child = tree()
    child.errors.register(lambda: "only boom", ExceptionType(Boom))
    with pytest.raises(ValueError, match="value"):
        await dp.feed_event(message("value"))
    assert await dp.feed_event(message("boom")) == "only boom"


async def test_errors_in_middlewares_and_filters_reach_errors_handlers() -> None:
    dp = Dispatcher()

    async def broken(handler: Any, event: Event, data: dict[str, Any]) -> Any:
        raise Boom("in middleware")

    def broken_filter(event: Event) -> bool:
        raise Boom("in filter")

    inner = dp.include_router(Router(name="inner"))
    inner.message.register(lambda: None, broken_filter)
    dp.errors.register(lambda exception: str(exception))
    assert await dp.feed_event(message("x")) == "in filter"
    dp.outer_middleware(broken)
    assert await dp.feed_event(message("x")) == "in middleware"


async def test_an_error_in_an_errors_handler_goes_up() -> None:
    dp, parent, child = tree()
    child.errors.register(raiser(RuntimeError("handler of errors broke")))
    parent.errors.register(lambda exception: f"parent saw {exception}")
    assert await dp.feed_event(message("boom")) == "parent saw handler of errors broke"


def test_exception_type_needs_types() -> None:
    with pytest.raises(ValueError):
        ExceptionType()
