from __future__ import annotations

from enum import Enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import UNHANDLED, CallbackData, CallbackDataError, Dispatcher
from bot.core.messages import Button

from .helpers import message, payload


class Prize(Enum):
    VOUCHER = "voucher"
    POINTS = "points"


class Spin(CallbackData, prefix="spin"):
    game: str
    round: int = 1


class Claim(CallbackData, prefix="claim", sep="|"):
    prize: Prize
    code: str | None = None
    confirmed: bool = False


def test_pack_unpack_round_trip() -> None:
    spin = Spin(game="lucky-wheel", round=3)
    assert spin.pack() == "spin:lucky-wheel:3"
    assert Spin.unpack("spin:lucky-wheel:3") == spin
    claim = Claim(prize=Prize.VOUCHER)
    assert claim.pack() == "claim|voucher||0"
    assert Claim.unpack(claim.pack()) == claim
    full = Claim(prize=Prize.POINTS, code="A:B", confirmed=True)  # ":" is fine with sep="|"
    assert Claim.unpack(full.pack()) == full


@given(
    game=st.text(
        st.characters(blacklist_characters=":", blacklist_categories=["Cs"]), max_size=200
    ),
    round_=st.integers(min_value=-(10**12), max_value=10**12),
)
def test_round_trip_any_valid_values(game: str, round_: int) -> None:
    spin = Spin(game=game, round=round_)
    assert Spin.unpack(spin.pack()) == spin


def test_packed_payload_fits_a_button() -> None:
    button = Button(title="Quay", payload=Spin(game="wheel").pack())
    assert button.payload == "spin:wheel:1"


@pytest.mark.parametrize(
    "bad",
    [
        lambda: Spin(game="a:b").pack(),  # separator inside a value
        lambda: Spin(game="x" * 1000).pack(),  # over 1000 characters
    ],
)
def test_pack_rejects(bad: object) -> None:
    with pytest.raises(CallbackDataError):
        bad()  # type: ignore[operator]


@pytest.mark.parametrize(
    "raw",
    [
        "spin:wheel",  # too few values
        "spin:wheel:1:2",  # too many
        "spun:wheel:1",  # other prefix
        "spin:wheel:one",  # not an int
        "claim|gold||0",  # not a Prize
        "spin:" + "x" * 1000,
    ],
)
def test_unpack_rejects(raw: str) -> None:
    cls = Claim if raw.startswith("claim") else Spin
    with pytest.raises(CallbackDataError):
        cls.unpack(raw)


def test_class_definition_rules() -> None:
    with pytest.raises(TypeError, match="prefix"):

        class NoPrefix(CallbackData):
            x: str

    with pytest.raises(TypeError, match="separator"):

        class BadPrefix(CallbackData, prefix="a:b"):
            x: str


async def test_filter_injects_the_parsed_object_and_applies_the_rule() -> None:
    dp = Dispatcher()

    @dp.payload(Spin.filter(lambda spin: spin.round > 1))
    async def later_round(callback_data: Spin) -> str:
        return f"later {callback_data.game} {callback_data.round}"

    @dp.payload(Spin.filter(key="spin"))
    async def first_round(spin: Spin) -> str:
        return f"first {spin.game}"

    assert await dp.feed_event(payload("spin:wheel:2")) == "later wheel 2"
    assert await dp.feed_event(payload("spin:wheel:1")) == "first wheel"
    assert await dp.feed_event(payload("spin:wheel:x")) is UNHANDLED
    assert await dp.feed_event(payload("claim|voucher||0")) is UNHANDLED
    dp.message.register(lambda: "message", Spin.filter())
    assert await dp.feed_event(message("spin:wheel:1")) is UNHANDLED
