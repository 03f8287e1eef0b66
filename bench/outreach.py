"""Broadcast benchmark: 20,000 members, the fake Graph answering in 30 ms, 500 messages/s.

Measured in one run: the achieved send rate against the limit (and against a baseline that
only paces HTTP calls to the same fake, no database), duplicates counted at the fake, the
busiest one-second window at the fake, this process's peak RSS (the sender and the fake both
live here, so it is an upper bound for a worker), and database statements per recipient.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

RATE = 500.0
LATENCY = 0.03
CONCURRENCY = 64  # calls in flight: 500/s x 30 ms needs 15, the rest absorbs DB round trips


class StatementCounter:
    """Counts statements sent by Tortoise's clients (pool and transactions) and asyncpg."""

    def __init__(self) -> None:
        self.count = 0
        self._undo: list[tuple[type, str, Any]] = []

    def install(self) -> None:
        from tortoise.backends.base.client import BaseDBAsyncClient

        classes = {type(c) for c in _clients()} | set(BaseDBAsyncClient.__subclasses__())
        for cls in list(classes):
            classes |= set(cls.__subclasses__())
        for cls in classes:
            for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
                original = cls.__dict__.get(name)
                if original is None:
                    continue
                self._undo.append((cls, name, original))
                setattr(cls, name, self._wrap(original))

    def _wrap(self, fn: Any) -> Any:
        counter = self

        async def counted(*args: Any, **kwargs: Any) -> Any:
            counter.count += 1
            return await fn(*args, **kwargs)

        return counted

    def uninstall(self) -> None:
        for cls, name, original in reversed(self._undo):
            setattr(cls, name, original)


def _clients() -> list[Any]:
    from tortoise import connections

    return list(connections.all())


async def _setup(n: int, page_id: str) -> int:
    from bot.models import Broadcast, Contact
    from loyalty import codes
    from loyalty.models import Member

    codes_ = set()
    while len(codes_) < n:
        codes_.add(codes.generate(codes.MEMBER_LENGTH))
    await Member.bulk_create(
        [Member(member_code=c, name=f"M{i}", marketing_opt_in=True) for i, c in enumerate(codes_)],
        batch_size=1000,
    )
    ids = await Member.all().order_by("id").values_list("id", flat=True)
    now = datetime.now(UTC)
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
        batch_size=1000,
    )
    row = await Broadcast.create(
        name="bench", segment="all", purpose="update", message={"text": "Chào {name}!"},
        status="sending",
    )  # fmt: skip
    return int(row.id)


async def _baseline(fake: Any, n: int) -> float:
    """The cheapest honest sender: paced HTTP calls to the same fake, nothing else."""
    import aiohttp

    from bot.outreach.broadcasts import Pace

    pace, gate = Pace(RATE), asyncio.Semaphore(32)
    url = f"{fake.base_url}/v25.0/me/messages?access_token={fake.page_token}"
    async with aiohttp.ClientSession() as http:

        async def one(i: int) -> None:
            async with gate:
                await pace.wait()
                body = {
                    "recipient": {"id": f"b{i}"},
                    "messaging_type": "UPDATE",
                    "message": {"text": "x"},
                }
                async with http.post(url, json=body) as r:
                    await r.read()

        start = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(n)))
        return n / (time.monotonic() - start)


async def run_outreach(database_url: str, *, members: int = 20_000) -> dict[str, Any]:
    from bot.apiclient.http import SharedHttp
    from bot.channels.messenger.channel import MessengerChannel
    from bot.content.store import ContentStore
    from bot.db import close_db, init_db
    from bot.models import BroadcastRecipient
    from bot.outreach.broadcasts import BroadcastSender
    from bot.settings import Settings
    from tests.fakes.graph_api import FakeGraph

    await init_db(database_url)
    http = SharedHttp()
    try:
        async with FakeGraph() as fake:
            fake.latency = LATENCY
            baseline_n = min(members, 5000)
            for i in range(baseline_n):
                fake.add_user(f"b{i}")
            baseline = await _baseline(fake, baseline_n)
            fake.reset_records()
            bid = await _setup(members, fake.page_id)
            mids = await BroadcastRecipient.all().count()
            assert mids == 0
            from loyalty.models import Member

            for mid in await Member.all().values_list("id", flat=True):
                fake.add_user(f"u{mid}")
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
            channel = MessengerChannel(settings, http=http)
            sender = BroadcastSender(
                channels={"messenger": channel},
                content=lambda: store.current,
                clock=lambda: datetime.now(UTC),
                channel_order=("messenger",),
                rates={"messenger": RATE},
                concurrency=CONCURRENCY,
                batch=1000,
            )
            counter = StatementCounter()
            counter.install()
            start = time.monotonic()
            try:
                result = await sender.run(bid)
            finally:
                counter.uninstall()
            elapsed = time.monotonic() - start
            per_user = Counter(s.psid for s in fake.sent)
            windows = Counter(int(s.at) for s in fake.sent)
            await store.close()
            return {
                "members": members,
                "sent": result.sent,
                "failed": result.failed,
                "skipped": dict(result.skipped),
                "seconds": round(elapsed, 2),
                "rate": round(result.sent / elapsed, 1),
                "limit": RATE,
                "rate_vs_limit": round(result.sent / elapsed / RATE, 3),
                "baseline_rate": round(baseline, 1),
                "rate_vs_baseline": round(result.sent / elapsed / baseline, 3),
                "duplicates": sum(n - 1 for n in per_user.values() if n > 1),
                "busiest_second": max(windows.values()) if windows else 0,
                "statements": counter.count,
                "statements_per_recipient": round(counter.count / members, 3),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
    finally:
        await http.close()
        await close_db()
