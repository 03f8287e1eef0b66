"""Graph times out for a while, then recovers: every acknowledged event answered exactly once.

A slow Graph is the ambiguous fault: the bot's call gives up (its timeout), yet Graph did
the work and the message arrives. Resending it at once doubled replies; never resending it
would lose the ones that did not arrive. Counted here at the fake by the outbox metadata
(`outbox:<id>`) each message carries: each row's message accepted once, none missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from bot.channels.messenger.receipts import METADATA_PREFIX
from bot.models import InboxEvent, OutboxMessage
from bot.settings import Settings
from tests.bot.channels.messenger.conftest import graph_settings, start_app
from tests.fakes.graph_api import FakeGraph
from tests.helpers import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]

CLIENT_TIMEOUT = 15.0  # bot.channels.messenger.session.aiohttp.DEFAULT_TIMEOUT
# Graph answers long after the bot gave up (past the circuit breaker's pause), and sends.
LAG = CLIENT_TIMEOUT + 12.0


class SlowGraph(FakeGraph):
    """While `slow`, each Send API call is answered `LAG` seconds late, then accepted (and
    echoed) as usual: Graph did the work although the caller stopped waiting."""

    slow = False

    def take_faults(self, path: str) -> tuple[float, Any]:
        delay, error = super().take_faults(path)
        if self.slow and path.endswith("/messages"):
            delay = max(delay, LAG)
        return delay, error

    @property
    def in_flight(self) -> int:
        """Requests still being answered (a late send is recorded only at its end)."""
        return sum(1 for r in self.requests if r.status is None)

    @property
    def posting(self) -> bool:
        """Echoes of accepted messages still being posted to the bot."""
        return bool(self._tasks)


def _metadata(fb: FakeGraph) -> Counter[str]:
    return Counter(
        str(s.body["message"].get("metadata"))
        for s in fb.sent
        if isinstance(s.body.get("message"), dict)
    )


async def test_a_graph_timing_out_then_recovering_answers_each_event_exactly_once(
    aiohttp_client: Any, clean_db: str, make_settings: Callable[..., Settings]
) -> None:
    async with SlowGraph() as fb:
        settings = make_settings(**graph_settings(fb))
        async for app in start_app(aiohttp_client, settings, fb, "memory"):
            fb.auto_webhooks(app.url)  # Graph echoes each accepted message, metadata and all
            fb.slow = True
            early = [f"a{n}" for n in range(12)]
            for psid in early:
                assert await fb.deliver(app.url, fb.envelope(fb.message(psid, "menu"))) == [200]

            async def gave_up() -> int:
                return await OutboxMessage.filter(
                    last_error__startswith="may have been delivered"
                ).count()

            await wait_for(gave_up, within=90, what="the first sends timing out")
            # Graph still slow: events keep being acknowledged and handled meanwhile.
            later = [f"b{n}" for n in range(8)]
            for psid in later:
                assert await fb.deliver(app.url, fb.envelope(fb.message(psid, "menu"))) == [200]

            async def replies_stored(later: list[str] = later) -> bool:
                return await OutboxMessage.filter(user_id__in=later).count() == len(later)

            await wait_for(replies_stored, within=90, what="the later events handled")
            fb.slow = False  # Graph recovers

            async def settled() -> bool:
                if fb.in_flight or fb.posting:  # a late send, or its echo, still on its way
                    return False
                unsent = await OutboxMessage.filter(status="pending").count()
                return unsent == 0 and await InboxEvent.exclude(status="done").count() == 0

            await wait_for(settled, within=180, what="every reply sent")
            people = early + later
            rows = await OutboxMessage.all().values("id", "user_id", "status")
            assert sorted(r["user_id"] for r in rows) == sorted(people)  # one reply each
            assert {r["status"] for r in rows} == {"sent"}
            wanted = Counter(f"{METADATA_PREFIX}{r['id']}" for r in rows)
            assert _metadata(fb) == wanted  # each accepted by Graph exactly once
            for psid in people:
                assert fb.texts(psid) == ["echo: menu"], psid
            events = await InboxEvent.filter(user_id__in=people, event_name="message").count()
            assert events == len(people)
            assert await InboxEvent.exclude(status="done").count() == 0  # echoes included
            # The rows whose first try timed out say so, and that it was not sent again.
            confirmed = await OutboxMessage.filter(last_error__contains="earlier try").count()
            assert confirmed >= 1
