"""Broadcast benchmark: 20,000 members, the fake Graph answering in 30 ms, 500 messages/s.

Measured in one run: the achieved send rate against the limit (and against a baseline that
only paces HTTP calls to the same fake, no database), duplicates counted at the fake, the
busiest one-second window at the fake, the sender's peak RSS and database statements per
recipient. The fake runs in its own process, as the platform would: on 2 cores a fake
sharing the sender's event loop measured the fake as much as the sender.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import time
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

RATE = 500.0
LATENCY = 0.03
CONCURRENCY = 64  # calls in flight: 500/s x 30 ms needs 15, the rest absorbs DB round trips


class StatementCounter:
    """Counts statements at asyncpg's connection, below every path that sends one (Tortoise's
    clients and transactions, and `loyalty.rawsql`'s direct calls): `_execute` (queries with
    parameters), `_executemany`, and `execute` without parameters (BEGIN, COMMIT, …)."""

    def __init__(self) -> None:
        self.count = 0
        self._undo: list[tuple[type, str, Any]] = []

    def install(self) -> None:
        from asyncpg.connection import Connection

        for name in ("_execute", "_executemany", "execute"):
            original = Connection.__dict__[name]
            self._undo.append((Connection, name, original))
            setattr(Connection, name, self._wrap(original, plain_only=name == "execute"))

    def _wrap(self, fn: Any, *, plain_only: bool) -> Any:
        counter = self

        async def counted(conn: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            if not plain_only or not args:  # `execute` with args goes through `_execute`
                counter.count += 1
            return await fn(conn, query, *args, **kwargs)

        return counted

    def uninstall(self) -> None:
        for cls, name, original in reversed(self._undo):
            setattr(cls, name, original)


def _fake_main(conn: Connection, latency: float) -> None:
    asyncio.run(_fake_serve(conn, latency))


async def _fake_serve(conn: Connection, latency: float) -> None:
    """The fake Graph in this (child) process, driven by commands on `conn`."""
    from tests.fakes.graph_api import FakeGraph

    loop = asyncio.get_running_loop()
    async with FakeGraph() as fake:
        fake.latency = latency
        conn.send((fake.base_url, fake.page_id, fake.page_token, fake.app_secret))
        while True:
            cmd, arg = await loop.run_in_executor(None, conn.recv)
            if cmd == "users":
                for psid in arg:
                    fake.add_user(psid)
                conn.send(len(arg))
            elif cmd == "reset":
                fake.reset_records()
                fake.requests = []
                conn.send(0)
            elif cmd == "stats":
                per_user = Counter(s.psid for s in fake.sent)
                windows = Counter(int(s.at) for s in fake.sent)
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                conn.send(
                    {
                        "accepted": len(fake.sent),
                        "duplicates": sum(n - 1 for n in per_user.values() if n > 1),
                        "busiest_second": max(windows.values()) if windows else 0,
                        "peak_rss_mb": round(rss, 1),
                    }
                )
            elif cmd == "stop":
                conn.send(0)
                return


class FakeProcess:
    """The fake Graph API in a child process (spawned: no state inherited)."""

    def __init__(self, latency: float) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_fake_main, args=(child, latency), daemon=True)
        self._proc.start()
        self.base_url, self.page_id, self.page_token, self.app_secret = self._conn.recv()

    async def ask(self, cmd: str, arg: Any = None) -> Any:
        self._conn.send((cmd, arg))
        return await asyncio.get_running_loop().run_in_executor(None, self._conn.recv)

    async def close(self) -> None:
        await self.ask("stop")
        self._proc.join(10)


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


async def run_outreach(
    database_url: str, *, members: int = 20_000, concurrency: int = CONCURRENCY
) -> dict[str, Any]:
    from bot.apiclient.http import SharedHttp
    from bot.channels.messenger.channel import MessengerChannel
    from bot.content.store import ContentStore
    from bot.db import close_db, init_db
    from bot.outreach.broadcasts import BroadcastSender
    from bot.settings import Settings
    from loyalty.models import Member

    await init_db(database_url)
    http = SharedHttp()
    fake = FakeProcess(LATENCY)
    try:
        baseline_n = min(members, 5000)
        await fake.ask("users", [f"b{i}" for i in range(baseline_n)])
        baseline = await _baseline(fake, baseline_n)
        await fake.ask("reset")
        bid = await _setup(members, fake.page_id)
        ids = await Member.all().values_list("id", flat=True)
        await fake.ask("users", [f"u{mid}" for mid in ids])
        settings = Settings(
            DATABASE_URL=database_url,
            FB_APP_SECRET=fake.app_secret,
            FB_VERIFY_TOKEN="verify-me",
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
            concurrency=concurrency,
            batch=1000,
        )
        counter = StatementCounter()
        counter.install()
        start, cpu = time.monotonic(), time.process_time()
        try:
            result = await sender.run(bid)
        finally:
            counter.uninstall()
        elapsed = time.monotonic() - start
        cpu = time.process_time() - cpu
        at_fake = await fake.ask("stats")
        await store.close()
        return {
            "members": members,
            "concurrency": concurrency,
            "sent": result.sent,
            "failed": result.failed,
            "skipped": dict(result.skipped),
            "seconds": round(elapsed, 2),
            "rate": round(result.sent / elapsed, 1),
            "limit": RATE,
            "rate_vs_limit": round(result.sent / elapsed / RATE, 3),
            # the sender's CPU seconds per second of the run: near 1, the sender is the
            # bottleneck; well below, it waits (for the fake, PostgreSQL or a busy machine)
            "sender_cpu_share": round(cpu / elapsed, 2),
            "load_average_1min": round(os.getloadavg()[0], 1),  # others share the machine
            "baseline_rate": round(baseline, 1),
            "rate_vs_baseline": round(result.sent / elapsed / baseline, 3),
            "accepted_at_fake": at_fake["accepted"],
            "duplicates": at_fake["duplicates"],
            "busiest_second": at_fake["busiest_second"],
            "statements": counter.count,
            "statements_per_recipient": round(counter.count / members, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "fake_peak_rss_mb": at_fake["peak_rss_mb"],
        }
    finally:
        await fake.close()
        await http.close()
        await close_db()
