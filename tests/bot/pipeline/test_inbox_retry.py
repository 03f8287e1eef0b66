"""A failed event waits for its retry at the head of its user's line; the job that met it
ends at once (it does not spin on the rows behind it), and `inbox retry` revives it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from bot.backends.memory import InProcessQueue, MemoryLocks
from bot.contracts.channel import Channel
from bot.contracts.inbox import Ingest
from bot.contracts.outbound import OutboundRequest
from bot.core.events import Event, MessageEvent
from bot.core.messages import OutboundMessage
from bot.models import InboxEvent
from bot.pipeline.inbox import PROCESS_JOB, InboxProcessor, retry_failed
from tests.helpers import messenger_row, store_rows


class TextChannel(Channel):
    """The smallest real channel: a stored Messenger text becomes one message event."""

    name = "messenger"

    @property
    def account_id(self) -> str:
        return "page1"

    @property
    def sandbox(self) -> bool:
        return True

    def setup_routes(self, app: web.Application, ingest: Ingest) -> None:
        raise NotImplementedError

    async def to_events(self, item: dict[str, Any]) -> list[Event]:
        msg = item["item"]["message"]
        return [
            MessageEvent(
                channel="messenger", account_id="page1", user_id="u1", event_id=msg["mid"],
                text=msg["text"],
            )
        ]  # fmt: skip

    def render(
        self, messages: Sequence[OutboundMessage], *, user_id: str, reply_to: str | None
    ) -> list[OutboundRequest]:
        return []

    async def deliver(self, row: Any) -> str | None:
        return None


async def test_a_failed_event_holds_its_line_and_the_job_ends(db: str) -> None:
    seen: list[str] = []
    fail = {"a": 1}

    async def dispatch(event: Event, inbox_id: int) -> None:
        if fail.get(event.event_id, 0):
            fail[event.event_id] -= 1
            raise RuntimeError("the database blinked")
        seen.append(event.event_id)

    queue = InProcessQueue()
    queue.register(PROCESS_JOB, lambda ctx, *a: asyncio.sleep(0))
    inbox = InboxProcessor(
        queue=queue, locks=MemoryLocks(), channels={"messenger": TextChannel()}, dispatch=dispatch
    )
    await store_rows([messenger_row("u1", "a"), messenger_row("u1", "b")])
    # The job meets the failure, schedules the retry and ends: no spinning on row b.
    assert await asyncio.wait_for(inbox.process_job("messenger", "page1", "u1"), 5) == 0
    first = await InboxEvent.get(dedupe_key="message:a")
    assert (first.status, first.attempts) == ("pending", 1) and first.next_attempt_at
    assert seen == []  # b waits behind a, in order
    assert await retry_failed(failed_only=False) == 2  # the operator: due now
    assert await inbox.process_job("messenger", "page1", "u1") == 2
    assert seen == ["a", "b"]
    await queue.close(drain=False)
