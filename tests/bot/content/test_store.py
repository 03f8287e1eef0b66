"""Hot reload: edits are picked up, broken edits are logged and the last good content stays."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import Content, ContentError, ContentStore, Problem

WAIT = 10  # a safety net for a hung test, not a timing assertion


@pytest.fixture
async def store(content_path: Path) -> AsyncIterator[ContentStore]:
    store = ContentStore(content_path, reload_seconds=0.05)
    await store.start()
    yield store
    await store.close()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def _remove(path: Path) -> None:
    path.unlink()


async def _next_reload(store: ContentStore) -> asyncio.Future[Content]:
    future: asyncio.Future[Content] = asyncio.get_running_loop().create_future()

    def done(content: Content) -> None:
        if not future.done():
            future.set_result(content)

    unsubscribe = store.subscribe(done)
    future.add_done_callback(lambda _: unsubscribe())
    return future


async def _next_failure(store: ContentStore) -> asyncio.Future[list[Problem]]:
    future: asyncio.Future[list[Problem]] = asyncio.get_running_loop().create_future()

    async def failed(problems: list[Problem]) -> None:
        if not future.done():
            future.set_result(problems)

    unsubscribe = store.subscribe_failures(failed)
    future.add_done_callback(lambda _: unsubscribe())
    return future


async def test_edit_is_picked_up(store: ContentStore, content_path: Path) -> None:
    first = store.current
    assert store.version == 1
    reloaded = await _next_reload(store)
    _edit(content_path, 'button_play_again: "Chơi lại"', 'button_play_again: "Chơi tiếp"')
    content = await asyncio.wait_for(reloaded, WAIT)
    assert content.texts.button_play_again == "Chơi tiếp"
    assert store.current is content and store.version == 2
    assert content.digest != first.digest
    assert first.texts.button_play_again == "Chơi lại"  # old objects stay intact


async def test_broken_edit_keeps_last_good_content(
    store: ContentStore, content_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.content")
    good = store.current
    failed = await _next_failure(store)
    _edit(content_path, "weight: 15, stock: 200", 'weight: "abc", stock: 200')
    problems = await asyncio.wait_for(failed, WAIT)
    assert [p.key for p in problems] == ["games[0].prizes[1].weight"]
    assert store.current is good and store.version == 1
    assert store.problems == problems
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.content"]
    assert str(problems[0]) in logged
    assert str(problems[0]).startswith(f"{content_path}:")

    reloaded = await _next_reload(store)
    _edit(content_path, 'weight: "abc", stock: 200', "weight: 25, stock: 200")
    content = await asyncio.wait_for(reloaded, WAIT)
    assert content.games[0].prizes[1].weight == 25
    assert store.version == 2 and store.problems == []


async def test_listener_errors_do_not_stop_reloads(
    store: ContentStore, content_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.content")
    seen: list[int] = []

    def broken(content: Content) -> None:
        raise RuntimeError("listener bug")

    async def counting(content: Content) -> None:
        seen.append(store.version)

    store.subscribe(broken)
    store.subscribe(counting)
    for n, title in enumerate(("Menu A", "Menu B"), start=2):
        reloaded = await _next_reload(store)
        _edit(content_path, store.current.texts.button_menu, title)
        await asyncio.wait_for(reloaded, WAIT)
        assert store.version == n
    assert seen == [2, 3]
    assert any("listener" in r.getMessage() for r in caplog.records)


async def test_deleted_file_keeps_serving(store: ContentStore, content_path: Path) -> None:
    good = store.current
    failed = await _next_failure(store)
    _remove(content_path)
    problems = await asyncio.wait_for(failed, WAIT)
    assert problems[0].key == "(file)"
    assert store.current is good


async def test_broken_file_at_start_raises(content_path: Path) -> None:
    _edit(content_path, "  menu_intro:", "\tmenu_intro:")
    store = ContentStore(content_path, reload_seconds=0.05)
    with pytest.raises(ContentError) as info:
        await store.start()
    assert info.value.problems[0].key == "yaml"
    with pytest.raises(RuntimeError):
        store.current  # noqa: B018
    await store.close()


async def test_check_loads_at_once_without_settling(content_path: Path) -> None:
    store = ContentStore(content_path, reload_seconds=3600)  # the watcher never fires here
    await store.start()
    try:
        assert await store.check(settle=False) is False  # unchanged
        _edit(content_path, 'button_cancel: "Để sau"', 'button_cancel: "Thôi"')
        assert await store.check(settle=True) is False  # seen once: wait for it to settle
        assert await store.check(settle=True) is True
        assert store.current.texts.button_cancel == "Thôi"
    finally:
        await store.close()
