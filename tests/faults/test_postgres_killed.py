"""PostgreSQL connections killed (`pg_terminate_backend`) while events are stored and handled.

Every webhook either acknowledges its events, which are then handled exactly once, or
answers 5xx, and the platform sends it again (as Meta does); the process that runs the
handlers recovers by itself, without a restart. Counted at the fake: each person's reply
sent once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from bot.core.events import MessageEvent
from bot.db import normalize_url
from bot.models import InboxEvent, OutboxMessage
from bot.settings import Settings
from tests.bot.channels.messenger.conftest import graph_settings, start_app
from tests.fakes.graph_api import FakeGraph
from tests.helpers import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]

PEOPLE = 30
ROUNDS = 4  # events per person, each posted on its own
KILLS = 12  # times every connection of the test's database is terminated


async def _kill_backends(url: str, times: int, every: float) -> int:
    """Terminate every other connection to the test's database, `times` times."""
    conn = await asyncpg.connect(normalize_url(url).replace("postgres://", "postgresql://", 1))
    killed = 0
    try:
        for _ in range(times):
            rows = await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            killed += sum(1 for r in rows if r[0])
            await asyncio.sleep(every)
    finally:
        await conn.close()
    return killed


async def _post_until_acknowledged(fb: FakeGraph, url: str, raw: bytes) -> list[int | None]:
    """Like Meta: the same bytes again after a non-200 answer or a timeout."""
    statuses: list[int | None] = []
    for _ in range(60):
        try:
            (status,) = await fb.deliver(url, raw, response_wait=20.0)
        except (TimeoutError, OSError):
            status = None
        statuses.append(status)
        if status == 200:
            return statuses
        await asyncio.sleep(0.5)
    raise AssertionError(f"never acknowledged: {statuses}")


async def test_connections_killed_mid_batch_each_event_answered_once(
    aiohttp_client: Any,
    clean_db: str,
    make_settings: Callable[..., Settings],
    is_postgres: bool,
    backend: str,
    redis_url: str,
) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    async with FakeGraph() as fb:
        redis = redis_url if backend == "redis" else ""
        settings = make_settings(**graph_settings(fb), REDIS_URL=redis)
        async for app in start_app(aiohttp_client, settings, fb, backend):
            people = [f"k{n}" for n in range(PEOPLE)]
            # Each person's events in order (one at a time), all people at once.
            envelopes = {
                psid: [fb.encode(fb.envelope(fb.message(psid, f"tin {r}"))) for r in range(ROUNDS)]
                for psid in people
            }

            async def person(raws: list[bytes], url: str) -> list[int | None]:
                statuses: list[int | None] = []
                for raw in raws:
                    statuses += await _post_until_acknowledged(fb, url, raw)
                return statuses

            posting = [asyncio.create_task(person(envelopes[p], app.url)) for p in people]
            killed = await _kill_backends(clean_db, KILLS, 0.25)
            loop = asyncio.get_running_loop()
            calm = loop.time()  # the last connection killed
            statuses = [s for got in await asyncio.gather(*posting) for s in got]
            assert killed > 0
            assert set(statuses) <= {200, 503, None}, Counter(statuses)  # 503: not stored
            wanted = {psid: [f"echo: tin {r}" for r in range(ROUNDS)] for psid in people}

            async def answered(people: list[str] = people) -> bool:
                return all(len(fb.texts(psid)) >= ROUNDS for psid in people)

            try:
                await wait_for(answered, within=150, what="every event answered")
            except AssertionError:
                left = await InboxEvent.exclude(status="done").values(
                    "user_id", "status", "attempts", "error"
                )
                raise AssertionError(f"not answered; inbox rows left: {left[:10]}") from None
            recovery = loop.time() - calm
            await asyncio.sleep(1.0)  # anything doubled would show by now
            rows = await OutboxMessage.all().values("id", "status")
            sent = Counter(
                str(s.body["message"].get("metadata")) for s in fb.sent if s.body.get("message")
            )
            assert sent == Counter(f"outbox:{r['id']}" for r in rows)  # each row sent once
            assert {r["status"] for r in rows} == {"sent"}
            for psid in people:
                assert fb.texts(psid) == wanted[psid], psid  # once each, in order, no apology
            # A handler may run again after a failed commit; its reply is still stored once.
            handled = {e.text for e in app.recorder.of(MessageEvent)}
            assert handled == {f"tin {r}" for r in range(ROUNDS)}
            assert await InboxEvent.filter(event_name="message").count() == PEOPLE * ROUNDS

            # The echoes of the last replies may still be on their way through the inbox.
            async def all_done() -> bool:
                return not await InboxEvent.exclude(status="done").exists()

            await wait_for(all_done, within=60, what="every inbox row done")
            # By itself, in seconds: not the inbox sweep's minute (nor a restart).
            assert recovery < 60, recovery
            print(f"{backend}: {Counter(statuses)}, {killed} killed, recovery {recovery:.1f} s")
