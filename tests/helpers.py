"""Small helpers shared by the test packages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from bot.contracts.inbox import InboxItem, NewRows
from bot.pipeline.priority import HandlerTurns

T = TypeVar("T")


async def wait_for(
    check: Callable[[], Awaitable[T] | T], *, within: float = 10.0, what: str = "condition"
) -> T:
    """Poll `check()` (plain or async) until truthy, at most `within` seconds; return it.

    Background work (queue, outbox, fakes) finishes on its own schedule; a bounded poll keeps
    tests free of sleeps that are either too long or too short.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value: Any = check()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return value  # type: ignore[no-any-return]
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.03)


def switched_turns(pressed: list[bool], *, max_wait: float, share: float = 1.0) -> HandlerTurns:
    """`HandlerTurns` whose pressure is `pressed[0]`, flipped by the test (polled every 10 ms)."""

    async def is_pressed() -> bool:
        return pressed[0]

    return HandlerTurns(is_pressed, max_wait=max_wait, share=share, poll=0.01)


def messenger_row(user: str, key: str) -> tuple[str, InboxItem]:
    """A `(channel, item)` inbox row for a Messenger text from `user` (message id `key`)."""
    body = {"kind": "message", "item": {"message": {"mid": key, "text": "Chào shop"}}}
    return "messenger", InboxItem("page1", user, f"message:{key}", "message", body)


async def store_rows(rows: Sequence[tuple[str, InboxItem]]) -> NewRows:
    """One batch through the inbox writer of the open database (in-process on SQLite)."""
    from tortoise import connections

    from bot.pipeline.ingest.postgres import PostgresInboxWriter
    from bot.pipeline.ingest.sqlite import SqliteInboxWriter

    postgres = connections.get("default").capabilities.dialect == "postgres"
    writer = PostgresInboxWriter() if postgres else SqliteInboxWriter(use_process=False)
    try:
        return await writer.store(rows)
    finally:
        await writer.close()
