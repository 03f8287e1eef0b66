"""FSM: states, context over memory and Redis storage, and per-user locking (aiogram #1317)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from bot.backends.base import FSMStorage, LockManager, StorageKey
from bot.backends.memory import MemoryFSMStorage, MemoryLocks
from bot.core import (
    UNHANDLED,
    Dispatcher,
    FSMContext,
    State,
    StateFilter,
    StatesGroup,
    Text,
)
from bot.core.events import Event, MessageEvent
from bot.core.fsm import storage_key

from .conftest import Backend
from .helpers import follow, message


class Phone(StatesGroup):
    waiting = State()
    confirm = State()


class Form(StatesGroup):
    name = State()

    class Address(StatesGroup):
        street = State()
        city = State("thanh_pho")


def test_state_names() -> None:
    assert Phone.waiting.state == "Phone:waiting"
    assert str(Phone.confirm) == "Phone:confirm"
    assert Phone.waiting == "Phone:waiting"
    assert Phone.waiting != Phone.confirm
    assert Form.Address.street.state == "Form.Address:street"
    assert Form.Address.city.state == "Form.Address:thanh_pho"
    assert Form.Address.street.group is Form.Address
    assert [s.state for s in Form.all_states()] == [
        "Form:name",
        "Form.Address:street",
        "Form.Address:thanh_pho",
    ]
    assert Phone.state_names() == {"Phone:waiting", "Phone:confirm"}
    assert State("standalone").state == "standalone"
    assert len({Phone.waiting, State("x"), Phone.waiting}) == 2


KEY = StorageKey("zalo", "oa1", "u1")


async def test_context_state_and_data(backend: Backend) -> None:
    state = FSMContext(backend.storage, KEY)
    assert await state.get_state() is None
    assert await state.get_data() == {}
    await state.set_state(Phone.waiting)
    assert await state.get_state() == "Phone:waiting"
    await state.set_state("Phone:confirm")
    assert await state.get_state() == "Phone:confirm"
    await state.set_data({"phone": "0912345678"})
    assert await state.update_data({"name": "Lan"}, tries=1) == {
        "phone": "0912345678",
        "name": "Lan",
        "tries": 1,
    }
    assert await state.get_value("tries") == 1
    assert await state.get_value("missing", "default") == "default"
    other = FSMContext(backend.storage, StorageKey("messenger", "oa1", "u1"))
    assert await other.get_state() is None and await other.get_data() == {}
    await state.clear()
    assert await state.get_state() is None
    assert await state.get_data() == {}
    with pytest.raises(ValueError):
        await state.set_state("*")


async def test_a_conversation_across_events(backend: Backend) -> None:
    dp = Dispatcher(storage=backend.storage, locks=backend.locks)

    @dp.follow()
    async def welcome(state: FSMContext) -> str:
        await state.set_state(Phone.waiting)
        return "ask phone"

    @dp.message(StateFilter(Phone.waiting))
    async def got_phone(event: MessageEvent, state: FSMContext) -> str:
        await state.update_data(phone=event.text)
        await state.set_state(Phone.confirm)
        return "confirm?"

    @dp.message(StateFilter(Phone.confirm), Text(in_=["đúng", "có"]))
    async def confirmed(state: FSMContext, raw_state: str) -> str:
        data = await state.get_data()
        await state.clear()
        return f"saved {data['phone']} from {raw_state}"

    @dp.message(StateFilter(None))
    async def idle() -> str:
        return "idle"

    assert await dp.feed_event(message("hi")) == "idle"
    assert await dp.feed_event(follow()) == "ask phone"
    assert await dp.feed_event(message("0912345678")) == "confirm?"
    assert await dp.feed_event(message("nope")) is UNHANDLED
    assert await dp.feed_event(message("Đúng")) == "saved 0912345678 from Phone:confirm"
    assert await dp.feed_event(message("hi")) == "idle"


def confirm_once(dp: Dispatcher, passed: list[str]) -> None:
    """A handler behind StateFilter(confirm) that yields before moving the state on."""

    @dp.message(StateFilter(Phone.confirm))
    async def confirm(event: Event, state: FSMContext) -> str:
        passed.append(event.event_id)
        for _ in range(5):
            await asyncio.sleep(0)  # give the other event every chance to interleave
        await state.set_state(None)
        return "confirmed"

    dp.message.register(lambda: "not in confirm")


async def test_two_fast_events_from_one_user_pass_the_state_filter_once(backend: Backend) -> None:
    dp = Dispatcher(storage=backend.storage, locks=backend.locks)
    passed: list[str] = []
    confirm_once(dp, passed)
    await backend.storage.set_state(KEY, Phone.confirm.state)
    async with asyncio.timeout(10):  # only stops a broken test from hanging
        results = await asyncio.gather(dp.feed_event(message("ok")), dp.feed_event(message("ok")))
    assert sorted(results) == ["confirmed", "not in confirm"]
    assert len(passed) == 1


class NoLocks(LockManager):
    """A lock that does not lock: shows what the race looks like."""

    def lock(
        self, name: str, *, timeout: float = 30.0, blocking_timeout: float | None = None
    ) -> AbstractAsyncContextManager[None]:
        return self._none()

    @asynccontextmanager
    async def _none(self) -> AsyncIterator[None]:
        yield


async def test_without_a_real_lock_the_same_events_both_pass() -> None:
    """Control for the test above: its scheduling does expose the race."""
    storage = MemoryFSMStorage()
    dp = Dispatcher(storage=storage, locks=NoLocks())
    passed: list[str] = []
    confirm_once(dp, passed)
    await storage.set_state(KEY, Phone.confirm.state)
    results = await asyncio.gather(dp.feed_event(message("ok")), dp.feed_event(message("ok")))
    assert results == ["confirmed", "confirmed"]


async def test_different_users_are_not_serialized(backend: Backend) -> None:
    dp = Dispatcher(storage=backend.storage, locks=backend.locks)
    both_inside = asyncio.Barrier(2)

    @dp.message()
    async def meet(event: Event, state: FSMContext) -> str:
        # Each handler waits until the other user's handler is running too; if the users
        # shared one lock, the first would wait forever and the timeout below would fail.
        await both_inside.wait()
        await state.set_state(Phone.waiting)
        return event.user_id

    async with asyncio.timeout(10):
        results = await asyncio.gather(
            dp.feed_event(message("a", user="alice")), dp.feed_event(message("b", user="bob"))
        )
    assert results == ["alice", "bob"]


class Watched(LockManager):
    """Records which lock names are held right now."""

    def __init__(self, inner: LockManager) -> None:
        self.inner = inner
        self.held: set[str] = set()

    def lock(
        self, name: str, *, timeout: float = 30.0, blocking_timeout: float | None = None
    ) -> AbstractAsyncContextManager[None]:
        return self._hold(name, timeout, blocking_timeout)

    @asynccontextmanager
    async def _hold(
        self, name: str, expire: float, blocking_timeout: float | None
    ) -> AsyncIterator[None]:
        async with self.inner.lock(name, timeout=expire, blocking_timeout=blocking_timeout):
            self.held.add(name)
            try:
                yield
            finally:
                self.held.discard(name)


class CheckingStorage(MemoryFSMStorage):
    """Fails any state read or write done without the user's lock."""

    def __init__(self, locks: Watched) -> None:
        super().__init__()
        self.locks = locks
        self.reads = 0

    async def get_state(self, key: StorageKey) -> str | None:
        assert key.build("lock") in self.locks.held, "state read before the lock was taken"
        self.reads += 1
        return await super().get_state(key)

    async def set_state(self, key: StorageKey, state: str | None) -> None:
        assert key.build("lock") in self.locks.held, "state written outside the lock"
        await super().set_state(key, state)


async def test_state_is_read_and_written_only_under_the_users_lock() -> None:
    locks = Watched(MemoryLocks())
    storage = CheckingStorage(locks)
    dp = Dispatcher(storage=storage, locks=locks)
    dp.message.register(lambda state: state.set_state(Phone.waiting))
    await dp.feed_event(message("x"))
    assert storage.reads == 1
    assert locks.held == set()


async def test_locks_are_released_after_errors_and_do_not_pile_up() -> None:
    locks = MemoryLocks()
    dp = Dispatcher(storage=MemoryFSMStorage(), locks=locks)

    @dp.message(Text(equals="fail"))
    async def fail() -> None:
        raise RuntimeError("handler failed")

    dp.message.register(lambda: "ok")
    async with asyncio.timeout(10):
        with pytest.raises(RuntimeError):
            await dp.feed_event(message("fail"))
        assert await dp.feed_event(message("fine")) == "ok"
        await asyncio.gather(*(dp.feed_event(message("x", user=f"u{i}")) for i in range(50)))
    assert len(locks) == 0


def test_storage_key_is_channel_account_user() -> None:
    event = message("x", user="u7", channel="messenger")
    assert storage_key(event) == StorageKey("messenger", "oa1", "u7")


async def test_errors_handlers_still_see_the_state() -> None:
    storage: FSMStorage = MemoryFSMStorage()
    dp = Dispatcher(storage=storage, locks=MemoryLocks())

    @dp.message()
    async def fails(state: FSMContext) -> None:
        await state.set_state(Phone.waiting)
        raise RuntimeError("x")

    @dp.errors()
    async def reset(state: FSMContext, exception: Exception) -> Any:
        await state.clear()
        return f"reset after {exception}"

    assert await dp.feed_event(message("x")) == "reset after x"
    assert await storage.get_state(KEY) is None
