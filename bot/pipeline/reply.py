"""`reply`: what handlers call to answer the person whose event they are handling."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.events import Event
from bot.core.messages import OutboundMessage
from bot.pipeline.outbox import queue_messages

if TYPE_CHECKING:
    from bot.runtime import Runtime


class Reply:
    """Bound to one inbound event; each call's messages are stored in the outbox in order.

    Calls are numbered so that re-processing the same inbox event after a crash stores
    nothing twice (the outbox dedupe key is `in:<inbox id>:<call>:<message>`).
    """

    def __init__(self, runtime: Runtime, event: Event, inbox_id: int | None) -> None:
        self._runtime = runtime
        self._event = event
        self._inbox_id = inbox_id
        self._calls = 0

    async def __call__(self, *messages: OutboundMessage) -> list[int]:
        self._calls += 1
        prefix = f"in:{self._inbox_id}:{self._calls}" if self._inbox_id is not None else None
        return await queue_messages(
            self._runtime,
            self._event.channel,
            self._event.user_id,
            messages,
            reply_to=self._event.event_id,
            dedupe_prefix=prefix,
        )
