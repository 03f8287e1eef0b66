"""`reply`: what handlers call to answer the person whose event they are handling."""

from __future__ import annotations

from bot.core.events import Event
from bot.core.messages import OutboundMessage
from bot.pipeline.outbox import Outbox


class Reply:
    """Bound to one inbound event; each call's messages are stored in the outbox in order.

    Calls are numbered so that re-processing the same inbox event after a crash stores
    nothing twice (the outbox dedupe key is `in:<inbox id>:<call>:<message>`). The apology
    after a failure has a key of its own (`in:<inbox id>:error:<message>`), so it can never
    take the place of a real reply when the event is handled again.

    A reply that could not be stored (the database lost its connection) is no flow's bug:
    the apology then is not stored either but the same error raised, so the inbox tries the
    event again later (its backoff) and the person gets the real reply, not "sorry".
    """

    def __init__(self, outbox: Outbox, event: Event, inbox_id: int | None) -> None:
        self._outbox = outbox
        self._event = event
        self._inbox_id = inbox_id
        self._calls = 0
        self.unstored: Exception | None = None  # why a reply could not be stored

    async def __call__(self, *messages: OutboundMessage) -> list[int]:
        self._calls += 1
        try:
            return await self._store(messages, str(self._calls))
        except Exception as exc:
            self.unstored = exc
            raise

    async def error(self, *messages: OutboundMessage) -> list[int]:
        """The apology for this event, stored at most once however often it fails; none
        when the failure was storing a reply (that error again: the event is retried)."""
        if self.unstored is not None:
            raise self.unstored
        return await self._store(messages, "error")

    async def _store(self, messages: tuple[OutboundMessage, ...], call: str) -> list[int]:
        inbox_id = self._inbox_id
        prefix = f"in:{inbox_id}:{call}" if inbox_id is not None else None
        return await self._outbox.queue_messages(
            self._event.channel,
            self._event.user_id,
            messages,
            reply_to=self._event.event_id,
            dedupe_prefix=prefix,
        )
