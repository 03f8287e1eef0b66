from __future__ import annotations

from typing import Any

import pytest

from bot.core import (
    UNHANDLED,
    Dispatcher,
    Filter,
    Payload,
    State,
    StateFilter,
    StatesGroup,
    Text,
)
from bot.core.events import Event
from bot.core.filters import And, Or

from .helpers import message, payload


async def passes(flt: Any, event: Event, **data: Any) -> bool:
    """Feed `event` to a dispatcher whose only handler sits behind `flt`."""
    dp = Dispatcher(injectables=data)
    dp.message.register(lambda: True, flt)
    dp.payload.register(lambda: True, flt)
    return await dp.feed_event(event, **data) is True


@pytest.mark.parametrize(
    ("rule", "text", "expected"),
    [
        ({"equals": "Bắt đầu"}, "bat dau", True),
        ({"equals": "bat dau"}, "Bắt đầu", True),
        ({"equals": "bắt đầu"}, "  BẮT   ĐẦU  ", True),
        ({"equals": "bắt đầu"}, "bắt đầu nào", False),
        ({"equals": ["menu", "bắt đầu"]}, "MENU", True),
        ({"in_": ["menu", "Thẻ thành viên"]}, "the thanh vien", True),
        ({"in_": ["menu"]}, "menus", False),
        ({"contains": "voucher"}, "Cho tôi VOUCHER 50k", True),
        ({"contains": ["quà", "voucher"]}, "nhận quà", True),
        ({"contains": "quà"}, "nhận thưởng", False),
        ({"startswith": "vòng quay"}, "Vong  Quay may man", True),
        ({"startswith": "vòng quay"}, "quay vòng", False),
        ({"endswith": "đi"}, "chơi ĐI", True),
        ({"startswith": "xin", "contains": "chào"}, "Xin chào bạn", True),
        ({"startswith": "xin", "contains": "chào"}, "Xin lỗi", False),
    ],
)
async def test_text_is_case_space_and_accent_insensitive(
    rule: dict[str, Any], text: str, expected: bool
) -> None:
    assert await passes(Text(**rule), message(text)) is expected


async def test_text_never_matches_events_without_text() -> None:
    assert not await passes(Text(contains="a"), payload("a"))


@pytest.mark.parametrize(
    "kwargs", [{}, {"contains": ""}, {"startswith": "   "}, {"in_": []}, {"endswith": [""]}]
)
def test_text_rejects_rules_that_match_everything_or_nothing(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Text(**kwargs)


@pytest.mark.parametrize(
    ("flt", "value", "expected"),
    [
        (Payload("MENU"), "MENU", True),
        (Payload("MENU"), "menu", False),  # machine payloads are exact
        (Payload(["MENU", "CARD"]), "CARD", True),
        (Payload(prefix="game:"), "game:lucky-wheel", True),
        (Payload(prefix=("game:", "quiz:")), "quiz:1", True),
        (Payload(prefix="game:"), "card", False),
    ],
)
async def test_payload(flt: Payload, value: str, expected: bool) -> None:
    assert await passes(flt, payload(value)) is expected


async def test_payload_never_matches_a_message() -> None:
    assert not await passes(Payload("MENU"), message("MENU"))
    with pytest.raises(ValueError):
        Payload()
    with pytest.raises(ValueError):
        Payload("")


class IsZalo(Filter):
    def __call__(self, event: Event) -> bool:
        return event.channel == "zalo"


class AsyncFromUser(Filter):
    def __init__(self, user: str) -> None:
        self.user = user

    async def __call__(self, event: Event) -> bool:
        return event.user_id == self.user


@pytest.mark.parametrize(
    ("flt", "event", "expected"),
    [
        (IsZalo() & AsyncFromUser("u1"), message("x", user="u1"), True),
        (IsZalo() & AsyncFromUser("u1"), message("x", user="u2"), False),
        (IsZalo() & AsyncFromUser("u1"), message("x", channel="messenger"), False),
        (IsZalo() | AsyncFromUser("u1"), message("x", user="u2"), True),
        (IsZalo() | AsyncFromUser("u1"), message("x", channel="messenger", user="u2"), False),
        (~IsZalo(), message("x", channel="messenger"), True),
        (~IsZalo(), message("x"), False),
        (~(IsZalo() & Text(equals="a")), message("b"), True),
        (Text(equals="a") | Text(equals="b") | Text(equals="c"), message("c"), True),
        # plain callables on either side
        ((lambda event: event.user_id == "u1") & IsZalo(), message("x"), True),
        (IsZalo() & (lambda event: event.user_id == "u1"), message("x", user="u3"), False),
        ((lambda: False) | Text(equals="x"), message("x"), True),
    ],
)
async def test_combinators(flt: Filter, event: Event, expected: bool) -> None:
    assert await passes(flt, event) is expected


async def test_plain_callables_sync_and_async() -> None:
    async def long_text(event: Event) -> bool:
        return len(getattr(event, "text", "")) > 3

    assert await passes(long_text, message("hello"))
    assert not await passes(long_text, message("hi"))
    assert await passes(lambda event: event.user_id == "u1", message("x"))


def number(event: Event) -> dict[str, Any] | bool:
    text = getattr(event, "text", "")
    return {"number": int(text)} if text.isdigit() else False


number.provides = ("number",)  # type: ignore[attr-defined]


async def test_dict_results_become_handler_kwargs_and_reach_later_filters() -> None:
    dp = Dispatcher()
    seen: list[int] = []

    def small(number: int) -> bool:
        return number < 10

    @dp.message(number, small)
    async def got(number: int) -> str:
        seen.append(number)
        return "small"

    @dp.message(And(number, lambda number: number >= 10))
    async def big(number: int) -> str:
        return f"big {number}"

    assert await dp.feed_event(message("7")) == "small"
    assert await dp.feed_event(message("42")) == "big 42"
    assert await dp.feed_event(message("seven")) is UNHANDLED
    assert seen == [7]


async def test_or_gives_the_first_passing_branch_keys() -> None:
    def tag(name: str) -> Any:
        def flt(event: Event) -> dict[str, str] | bool:
            return {"tag": name} if name in getattr(event, "text", "") else False

        flt.provides = ("tag",)  # type: ignore[attr-defined]
        return flt

    dp = Dispatcher()
    either = Or(tag("a"), tag("b"))
    assert either.provides == frozenset({"tag"})
    dp.message.register(lambda tag: tag, either)
    assert await dp.feed_event(message("b a")) == "a"
    assert await dp.feed_event(message("b")) == "b"


async def test_rejected_filter_keys_do_not_leak_to_the_next_handler() -> None:
    dp = Dispatcher()

    def partial_match(event: Event) -> dict[str, str] | bool:
        return False

    def gives_then_fails(event: Event) -> dict[str, str]:
        return {"leak": "yes"}

    gives_then_fails.provides = ("leak",)  # type: ignore[attr-defined]
    dp.message.register(lambda: "first", gives_then_fails, partial_match)
    dp.message.register(lambda data: "leak" in data)
    assert await dp.feed_event(message("x")) is False


@pytest.mark.parametrize("bad", [True, False, None])
def test_a_bool_is_not_a_filter(bad: Any) -> None:
    dp = Dispatcher()
    with pytest.raises(TypeError, match="filter"):
        dp.message.register(lambda: None, bad)
    with pytest.raises(TypeError, match="filter"):
        Text(equals="x") & bad


class Phone(StatesGroup):
    waiting = State()
    confirm = State()


class Quiz(StatesGroup):
    answering = State()


@pytest.mark.parametrize(
    ("states", "raw_state", "expected"),
    [
        ((Phone.waiting,), "Phone:waiting", True),
        ((Phone.waiting,), "Phone:confirm", False),
        (("Phone:confirm",), "Phone:confirm", True),
        ((Phone,), "Phone:confirm", True),
        ((Phone,), "Quiz:answering", False),
        ((None,), None, True),
        ((None,), "Phone:waiting", False),
        ((None, Quiz.answering), "Quiz:answering", True),
        (("*",), None, True),
        (("*",), "Anything:else", True),
        ((Phone.waiting,), None, False),
    ],
)
async def test_state_filter(
    states: tuple[Any, ...], raw_state: str | None, expected: bool
) -> None:
    assert await passes(StateFilter(*states), message("x"), raw_state=raw_state) is expected


def test_state_filter_needs_a_state() -> None:
    with pytest.raises(ValueError):
        StateFilter()
