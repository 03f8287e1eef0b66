"""Journeys benchmark: 100,000 active enrolments, 10,000 of them due in one tick.

PostgreSQL only (the claim uses `FOR UPDATE SKIP LOCKED`). Measured in one run: the tick
that handles the 10,000 due steps (claim, policy, outbox row, step run, move on), against a
baseline doing only the writes any engine must do for them in bulk (one UPDATE of the due
rows, one INSERT of 10,000 outbox rows, one INSERT of 10,000 step runs); then the outbox
delivers to the fake Graph, where duplicates are counted per member. The plan of the due
query (`EXPLAIN ANALYZE`) is returned for bench/README.md.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

ACTIVE = 100_000
DUE = 10_000
JOURNEY = {
    "id": "bench",
    "name": "Bench",
    "trigger": {"event": "phone_shared"},
    "steps": [
        {"id": "hello", "send": {"text": "Chào {name}!", "purpose": "update"}},
        {"id": "later", "wait": "3d"},
    ],
}


class _Queue:
    """Records send jobs instead of running them: the outbox is drained after the tick."""

    def __init__(self) -> None:
        self.jobs = 0

    async def enqueue(self, name: str, *args: Any, job_id: str | None = None, **kw: Any) -> bool:
        self.jobs += 1
        return True


async def _setup(active: int, due: int, page_id: str, now: datetime) -> None:
    from bot.journeys.models import JourneyEnrolment
    from bot.models import Contact
    from loyalty import codes
    from loyalty.models import Member

    made: set[str] = set()
    while len(made) < active:
        made.add(codes.generate(codes.MEMBER_LENGTH))
    await Member.bulk_create(
        [Member(member_code=c, name=f"M{i}") for i, c in enumerate(made)], batch_size=2000
    )
    ids = list(await Member.all().order_by("id").values_list("id", flat=True))
    await Contact.bulk_create(
        [
            Contact(
                channel="messenger",
                account_id=page_id,
                user_id=f"u{mid}",
                member_id=mid,
                last_inbound_at=now,
            )
            for mid in ids
        ],
        batch_size=2000,
    )
    later = now + timedelta(days=3)
    await JourneyEnrolment.bulk_create(
        [
            JourneyEnrolment(
                journey_id="bench",
                member_id=mid,
                state="active",
                step_id="hello",
                due_at=now - timedelta(seconds=1) if i < due else later,
                entered_at=now - timedelta(days=1),
                convert_until=now + timedelta(days=6),
            )
            for i, mid in enumerate(ids)
        ],
        batch_size=2000,
    )
    from tortoise import connections

    await connections.get("default").execute_script("ANALYZE")


async def _explain(now: datetime) -> list[str]:
    from loyalty import rawsql

    rows = await rawsql.fetch_numbered(
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT id FROM journey_enrolment"
        " WHERE state = 'active' AND due_at <= $1 AND journey_id IN ('bench')"
        " ORDER BY due_at LIMIT 200 FOR UPDATE SKIP LOCKED",
        now,
    )
    return [str(r["QUERY PLAN"]) for r in rows]


async def _baseline(due: int, now: datetime) -> float:
    """The bulk writes alone, in one transaction that is rolled back (the rows stay)."""
    from tortoise.transactions import in_transaction

    from loyalty import rawsql

    start = time.monotonic()
    try:
        async with in_transaction():
            await rawsql.execute(
                "UPDATE journey_enrolment SET step_id = 'later', due_at = ? WHERE id IN ("
                "SELECT id FROM journey_enrolment WHERE state = 'active' AND due_at <= ?)",
                now + timedelta(days=3),
                now,
            )
            await rawsql.execute(
                "INSERT INTO outbox_message (channel, account_id, user_id, dedupe_key, method,"
                " payload, status, attempts, promotional, purpose, created_at)"
                " SELECT 'messenger', 'x', 'base' || id, 'base:' || id, 'me/messages', '{}',"
                " 'pending', 0, false, 'update', ? FROM journey_enrolment"
                " WHERE state = 'active' AND step_id = 'later'",
                now,
            )
            await rawsql.execute(
                "INSERT INTO journey_step_run (enrolment_id, journey_id, step_id, kind,"
                " member_id, status, created_at) SELECT id, journey_id, 'base', 'send',"
                " member_id, 'sent', ? FROM journey_enrolment WHERE state = 'active'"
                " AND step_id = 'later'",
                now,
            )
            raise _Rollback
    except _Rollback:
        pass
    return time.monotonic() - start


class _Rollback(Exception):
    pass


async def run_journeys(
    database_url: str, *, active: int = ACTIVE, due: int = DUE
) -> dict[str, Any]:
    from bot.apiclient.http import SharedHttp
    from bot.backends.memory.locks import MemoryLocks
    from bot.channels.messenger.channel import MessengerChannel
    from bot.content.journeys import Journey
    from bot.content.store import ContentStore
    from bot.db import close_db, init_db
    from bot.journeys.models import JourneyStepRun
    from bot.journeys.runner import Journeys
    from bot.models import OutboxMessage
    from bot.pipeline.outbox import Outbox
    from bot.settings import Settings
    from tests.fakes.graph_api import FakeGraph

    await init_db(database_url)
    http = SharedHttp()
    try:
        async with FakeGraph() as fake:
            now = datetime.now(UTC)
            await _setup(active, due, fake.page_id, now)
            plan = await _explain(now)
            baseline = await _baseline(due, now)
            settings = Settings(
                DATABASE_URL=database_url,
                FB_APP_SECRET=fake.app_secret,
                FB_VERIFY_TOKEN=fake.verify_token,
                FB_PAGE_ID=fake.page_id,
                FB_PAGE_ACCESS_TOKEN=fake.page_token,
                FB_GRAPH_URL=fake.base_url,
            )
            store = ContentStore(settings.CONTENT_PATH, 3600)
            await store.start()
            content = store.current.model_copy(
                update={"journeys": [Journey.model_validate(JOURNEY)]}
            )
            channel = MessengerChannel(settings, http=http)
            queue = _Queue()
            outbox = Outbox(
                queue=queue,  # type: ignore[arg-type]
                locks=MemoryLocks(),
                channels={"messenger": channel},
            )
            engine = Journeys(
                outbox=outbox,
                channels={"messenger": channel},
                content=lambda: content,
                clock=lambda: now,
                channel_order=("messenger",),
                time_scan_seconds=3600,
            )
            start = time.monotonic()
            steps = await engine.tick(now)
            tick = time.monotonic() - start
            users = await OutboxMessage.filter(status="pending").values_list("user_id", flat=True)
            for user in set(users):
                fake.add_user(str(user))
            gate = asyncio.Semaphore(64)

            async def deliver(user: str) -> None:
                async with gate:
                    await outbox.send_user("messenger", channel.account_id, user)

            start = time.monotonic()
            await asyncio.gather(*(deliver(str(u)) for u in set(users)))
            delivery = time.monotonic() - start
            per_user = Counter(s.psid for s in fake.sent)
            await store.close()
            return {
                "active": active,
                "due": due,
                "steps_run": steps,
                "step_runs": await JourneyStepRun.filter(step_id="hello").count(),
                "tick_seconds": round(tick, 2),
                "baseline_seconds": round(baseline, 2),
                "tick_vs_baseline": round(tick / baseline, 2) if baseline else None,
                "delivered": len(fake.sent),
                "delivery_seconds": round(delivery, 2),
                "members_twice": sum(1 for n in per_user.values() if n > 1),
                "due_query_plan": plan,
            }
    finally:
        await http.close()
        await close_db()
