"""FSM storage: round trips, isolation between users, JSON semantics and expiry."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.backends.base import FSMStorage, StorageKey

from .conftest import eventually

KEY = StorageKey("zalo", "oa1", "u1")


class TestFSMStorage:
    async def test_state_round_trip(self, make_fsm: Callable[..., FSMStorage]) -> None:
        fsm = make_fsm()
        assert await fsm.get_state(KEY) is None
        await fsm.set_state(KEY, "quiz:question")
        assert await fsm.get_state(KEY) == "quiz:question"
        await fsm.set_state(KEY, None)
        assert await fsm.get_state(KEY) is None

    async def test_data_round_trip(self, make_fsm: Callable[..., FSMStorage]) -> None:
        fsm = make_fsm()
        assert await fsm.get_data(KEY) == {}
        data = {"answers": [1, 2], "name": "Nguyễn Văn A", "nested": {"ok": True}}
        await fsm.set_data(KEY, data)
        assert await fsm.get_data(KEY) == data
        assert await fsm.update_data(KEY, step=3) == {**data, "step": 3}
        assert await fsm.get_data(KEY) == {**data, "step": 3}
        await fsm.set_data(KEY, {})
        assert await fsm.get_data(KEY) == {}

    async def test_returned_data_is_a_copy(self, make_fsm: Callable[..., FSMStorage]) -> None:
        fsm = make_fsm()
        data = {"items": [1]}
        await fsm.set_data(KEY, data)
        data["items"].append(2)
        got = await fsm.get_data(KEY)
        got["items"].append(3)
        assert await fsm.get_data(KEY) == {"items": [1]}

    async def test_json_semantics(self, make_fsm: Callable[..., FSMStorage]) -> None:
        fsm = make_fsm()
        await fsm.set_data(KEY, {"pair": (1, 2)})
        assert await fsm.get_data(KEY) == {"pair": [1, 2]}
        with pytest.raises(TypeError):
            await fsm.set_data(KEY, {"bad": object()})

    async def test_keys_are_isolated(self, make_fsm: Callable[..., FSMStorage]) -> None:
        fsm = make_fsm()
        others = [
            StorageKey("messenger", "oa1", "u1"),
            StorageKey("zalo", "oa2", "u1"),
            StorageKey("zalo", "oa1", "u2"),
        ]
        await fsm.set_state(KEY, "a")
        await fsm.set_data(KEY, {"who": "u1"})
        for other in others:
            assert await fsm.get_state(other) is None
            assert await fsm.get_data(other) == {}
        await fsm.set_state(others[0], "b")
        assert await fsm.get_state(KEY) == "a"

    async def test_ttl_expires_abandoned_state(self, make_fsm: Callable[..., FSMStorage]) -> None:
        fsm = make_fsm(state_ttl=0.05, data_ttl=0.05)
        await fsm.set_state(KEY, "spin")
        await fsm.set_data(KEY, {"x": 1})

        async def gone() -> bool:
            return await fsm.get_state(KEY) is None and await fsm.get_data(KEY) == {}

        await eventually(gone)
