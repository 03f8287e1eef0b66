"""Handlers get only the names they ask for, and a name nothing injects fails at startup."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from bot.backends.memory import MemoryFSMStorage, MemoryLocks
from bot.core import (
    BaseMiddleware,
    Dispatcher,
    HandlerSignatureError,
    MissingInjectable,
    NextHandler,
    Router,
    Text,
)
from bot.core.events import Event, MessageEvent

from .helpers import message


async def test_handlers_receive_only_the_names_they_declare() -> None:
    dp = Dispatcher(injectables=("reply", "content"), shop="demo")
    got: dict[str, Any] = {}

    @dp.message(Text(equals="one"))
    async def one(event: MessageEvent) -> None:
        got["one"] = event.text

    @dp.message(Text(equals="two"))
    async def two(reply: str, shop: str) -> None:
        got["two"] = (reply, shop)

    @dp.message(Text(equals="all"))
    async def everything(**kwargs: Any) -> None:
        got["all"] = sorted(kwargs)

    @dp.message()
    async def whole(data: dict[str, Any], event: Event) -> None:
        got["data"] = data["content"] + event.user_id

    for text in ("one", "two", "all", "other"):
        await dp.feed_event(message(text), reply="R", content="C")
    assert got == {
        "one": "one",
        "two": ("R", "demo"),
        "all": [
            "content",
            "data",
            "dispatcher",
            "event",
            "handler",
            "reply",
            "shop",
        ],
        "data": "Cu1",
    }


async def test_a_typo_fails_validate_naming_handler_and_parameter() -> None:
    dp = Dispatcher(storage=MemoryFSMStorage(), locks=MemoryLocks(), injectables=("reply",))
    menu = dp.include_router(Router(name="menu"))

    @menu.message(Text(equals="menu"))
    async def show_menu(event: MessageEvent, stat: Any) -> None: ...

    with pytest.raises(HandlerSignatureError) as caught:
        dp.validate()
    text = str(caught.value)
    assert "show_menu" in text
    assert "'stat'" in text
    assert "did you mean 'state'" in text
    assert "<Router 'menu'> message" in text
    with pytest.raises(HandlerSignatureError):
        await dp.emit_startup()
    with pytest.raises(HandlerSignatureError):  # never reaches the handler at run time
        await dp.feed_event(message("menu"), reply=None)


async def test_startup_validates_before_running_hooks() -> None:
    dp = Dispatcher()
    started: list[str] = []
    dp.startup.register(lambda: started.append("yes"))
    dp.payload.register(lambda evnt: None)
    with pytest.raises(HandlerSignatureError, match="evnt"):
        await dp.emit_startup()
    assert started == []


async def test_filter_parameters_are_checked_too() -> None:
    dp = Dispatcher()
    dp.message.register(lambda: None, lambda evt: True)
    with pytest.raises(HandlerSignatureError, match=r"'evt'.*did you mean 'event'"):
        dp.validate()


def test_defaulted_parameters_must_be_injectable_as_well() -> None:
    dp = Dispatcher()

    async def handler(event: Event, retries: int = 3) -> None: ...

    dp.message.register(handler)
    with pytest.raises(HandlerSignatureError, match="'retries'"):
        dp.validate()


def test_declared_names_pass() -> None:
    dp = Dispatcher(injectables=["reply"])
    dp.declare("content", channel_name="zalo")
    dp.message.register(lambda event, reply, content, channel_name, data, dispatcher: None)
    dp.validate()
    assert {"reply", "content", "channel_name", "event"} <= dp.injectables
    with pytest.raises(ValueError):
        dp.declare("event")
    with pytest.raises(ValueError):
        dp.declare("not a name")


def test_fsm_names_need_the_fsm() -> None:
    dp = Dispatcher()
    dp.message.register(lambda state: None)
    with pytest.raises(HandlerSignatureError, match=r"storage=.*locks="):
        dp.validate()
    with_fsm = Dispatcher(storage=MemoryFSMStorage(), locks=MemoryLocks())
    with_fsm.message.register(lambda state, raw_state: None)
    with_fsm.validate()
    with pytest.raises(ValueError, match="both"):
        Dispatcher(storage=MemoryFSMStorage())


class Member(BaseMiddleware):
    provides: ClassVar[tuple[str, ...]] = ("member",)

    async def __call__(self, handler: NextHandler, event: Event, data: dict[str, Any]) -> Any:
        data["member"] = f"member-{event.user_id}"
        return await handler(event, data)


async def test_middleware_keys_are_injectable_only_below_the_middleware() -> None:
    dp = Dispatcher()
    loyalty = dp.include_router(Router(name="loyalty"))
    loyalty.message.outer_middleware(Member())
    loyalty.include_router(Router(name="cards")).message.register(lambda member: member)
    dp.validate()  # a sub-router of the router with the middleware may ask for `member`
    assert await dp.feed_event(message("x")) == "member-u1"

    other = dp.include_router(Router(name="other"))
    other.message.register(lambda member: member)
    with pytest.raises(HandlerSignatureError, match=r"<Router 'other'>.*'member'"):
        dp.validate()


def test_middleware_keys_are_per_kind_on_observer_level() -> None:
    dp = Dispatcher()
    dp.message.middleware(Member())
    dp.message.register(lambda member: None)
    dp.validate()
    dp.payload.register(lambda member: None)
    with pytest.raises(HandlerSignatureError, match="payload handler"):
        dp.validate()


def test_filter_keys_are_injectable_only_for_that_handler() -> None:
    def word(event: Event) -> dict[str, str]:
        return {"word": getattr(event, "text", "")}

    word.provides = ("word",)  # type: ignore[attr-defined]
    dp = Dispatcher()
    dp.message.register(lambda word: word, word)
    dp.validate()
    dp.message.register(lambda word: word)
    with pytest.raises(HandlerSignatureError, match="'word'"):
        dp.validate()


def test_exception_is_injectable_only_in_errors_handlers() -> None:
    dp = Dispatcher()
    dp.errors.register(lambda exception: None)
    dp.validate()
    dp.message.register(lambda exception: None)
    with pytest.raises(HandlerSignatureError, match=r"message handler.*'exception'"):
        dp.validate()


async def test_a_declared_name_missing_at_run_time_is_a_clear_error() -> None:
    dp = Dispatcher(injectables=("reply",))
    dp.message.register(lambda reply: reply)
    with pytest.raises(MissingInjectable, match="'reply'"):
        await dp.feed_event(message("x"))
    assert await dp.feed_event(message("x"), reply="ok") == "ok"


def test_signatures_that_cannot_be_injected_fail_at_register() -> None:
    dp = Dispatcher()

    def positional_only(event: Event, /) -> None: ...

    with pytest.raises(HandlerSignatureError, match="positional-only"):
        dp.message.register(positional_only)
    with pytest.raises(TypeError):
        dp.message.register("not callable")  # type: ignore[arg-type]


async def test_startup_hooks_get_what_emit_startup_passes() -> None:
    dp = Dispatcher(shop="demo")
    seen: list[Any] = []
    dp.startup.register(lambda runtime, shop: seen.append((runtime, shop)))

    @dp.startup
    async def second(dispatcher: Dispatcher) -> None:
        seen.append(dispatcher is dp)

    await dp.emit_startup(runtime="rt")
    assert seen == [("rt", "demo"), True]
    with pytest.raises(HandlerSignatureError, match="runtime"):
        await dp.emit_startup()
