"""Which asyncio event loop `serve` and `worker` run on (setting `EVENT_LOOP`).

uvloop runs the same asyncio code with a cheaper loop (callbacks, sockets, timers), which is
most of what a webhook ack costs besides its one INSERT. `auto` uses it where it is installed
(Linux and macOS wheels) and falls back to asyncio's own loop elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

log = logging.getLogger("bot.eventloop")

Choice = Literal["auto", "uvloop", "asyncio"]


def install(choice: Choice) -> str:
    """Set the loop policy for `asyncio.run`/`web.run_app`; return the loop's name."""
    if choice == "asyncio":
        asyncio.set_event_loop_policy(None)
        return "asyncio"
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise RuntimeError(
                "setting EVENT_LOOP=uvloop but uvloop is not installed: "
                "pip install uvloop, or set EVENT_LOOP=auto"
            ) from None
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"
