from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar

import pytest

from bot.core import UNHANDLED, Dispatcher, Router, RouterInclusionError, SkipHandler, Text
from bot.core.events import Event, MessageEvent

from .helpers import follow, message, payload


async def test_first_matching_handler_wins_in_registration_order() -> None:
    dp = Dispatcher()

    @dp.message(Text(equals="a"))
    async def only_a(event: MessageEvent) -> str:
        return "only-a"

    @dp.message()
    async def anything() -> str:
        return "anything"

    @dp.message()
    async def never() -> str:
        return "never"

    assert await dp.feed_event(message("a")) == "only-a"
    assert await dp.feed_event(message("b")) == "anything"


async def test_register_form_and_sync_handlers() -> None:
    dp = Dispatcher()

    def hello(event: MessageEvent) -> str:
        return f"hi {event.user_id}"

    dp.message.register(hello, Text(equals="hello"))
    assert await dp.feed_event(message("Hello", user="u9")) == "hi u9"


async def test_each_kind_goes_to_its_own_observer() -> None:
    dp = Dispatcher()
    dp.message.register(lambda: "message")
    dp.payload.register(lambda: "payload")
    dp.follow.register(lambda: "follow")
    assert await dp.feed_event(message("x")) == "message"
    assert await dp.feed_event(payload("X")) == "payload"
    assert await dp.feed_event(follow()) == "follow"


async def test_unhandled_sentinel() -> None:
    dp = Dispatcher()
    dp.message.register(lambda: "menu", Text(equals="menu"))
    result = await dp.feed_event(message("something else"))
    assert result is UNHANDLED
    assert not result
    assert await dp.feed_event(follow()) is UNHANDLED


async def test_a_handler_returning_none_counts_as_handled() -> None:
    dp = Dispatcher()
    sub = dp.include_router(Router(name="sub"))
    calls: list[str] = []
    dp.message.register(lambda: calls.append("root") and None)
    sub.message.register(lambda: calls.append("sub"))
    assert await dp.feed_event(message("x")) is None
    assert calls == ["root"]


async def test_sub_routers_are_tried_in_inclusion_order_after_the_parent() -> None:
    dp = Dispatcher()
    first, second = Router(name="first"), Router(name="second")
    nested = first.include_router(Router(name="nested"))
    dp.include_routers(first, second)
    dp.message.register(lambda: "root", Text(equals="root"))
    first.message.register(lambda: "first", Text(equals="first"))
    nested.message.register(lambda: "nested", Text(contains="x"))
    second.message.register(lambda: "second", Text(contains="x"))
    second.message.register(lambda: "second-any")

    assert await dp.feed_event(message("root")) == "root"
    assert await dp.feed_event(message("first")) == "first"
    assert await dp.feed_event(message("x")) == "nested"  # depth first, before `second`
    assert await dp.feed_event(message("y")) == "second-any"
    assert [r.name for r in dp.chain_tail] == ["dispatcher", "first", "nested", "second"]
    assert [r.name for r in nested.chain_head] == ["nested", "first", "dispatcher"]


async def test_root_filters_skip_the_router_and_its_children() -> None:
    dp = Dispatcher()
    zalo_only = dp.include_router(Router(name="zalo"))
    zalo_only.message.filter(lambda event: event.channel == "zalo")
    child = zalo_only.include_router(Router(name="child"))
    child.message.register(lambda: "zalo child")
    dp.include_router(Router(name="fallback")).message.register(lambda: "fallback")

    assert await dp.feed_event(message("hi", channel="zalo")) == "zalo child"
    assert await dp.feed_event(message("hi", channel="messenger")) == "fallback"


async def test_skip_handler_passes_to_the_next_match() -> None:
    dp = Dispatcher()

    @dp.message()
    async def picky(event: MessageEvent) -> str:
        if event.text == "skip":
            raise SkipHandler
        return "picky"

    dp.message.register(lambda: "next")
    assert await dp.feed_event(message("keep")) == "picky"
    assert await dp.feed_event(message("skip")) == "next"


def test_inclusion_rules() -> None:
    dp = Dispatcher()
    a, b, c = Router(name="a"), Router(name="b"), Router(name="c")
    dp.include_router(a)
    a.include_router(b)
    with pytest.raises(RouterInclusionError, match="itself"):
        a.include_router(a)
    with pytest.raises(RouterInclusionError, match="already included"):
        dp.include_router(b)
    with pytest.raises(RouterInclusionError, match="already included"):
        c.include_router(a)
    with pytest.raises(RouterInclusionError, match="root"):
        a.include_router(Dispatcher())
    loose_parent, loose_child = Router(name="p"), Router(name="q")
    loose_parent.include_router(loose_child)
    with pytest.raises(RouterInclusionError, match="cycle"):
        loose_child.include_router(loose_parent)
    with pytest.raises(TypeError):
        dp.include_router("not a router")  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class StrangeEvent(Event):
    kind: ClassVar[str] = "strange"


async def test_unknown_event_kind_is_warned_and_unhandled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dp = Dispatcher()
    dp.message.register(lambda: "x")
    event = StrangeEvent(channel="zalo", account_id="oa", user_id="u", event_id="s1")
    with caplog.at_level(logging.WARNING, logger="bot.core.dispatcher"):
        assert await dp.feed_event(event) is UNHANDLED
    assert "strange" in caplog.text


async def test_feed_event_rejects_reserved_keys() -> None:
    dp = Dispatcher()
    with pytest.raises(TypeError, match="reserved"):
        await dp.feed_event(message("x"), dispatcher=None)
