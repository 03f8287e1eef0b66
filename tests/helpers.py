"""Small helpers shared by the test packages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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
