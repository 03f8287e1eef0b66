"""`kill -9` of a real `worker` while it holds a user's lock (PostgreSQL + Redis).

The worker's handler for one person hangs in a Graph call (its profile look-up), holding
that person's inbox lease and FSM lock. The worker is killed, more events arrive, a new
worker starts: every acknowledged event is answered exactly once, and the stuck person's
events within seconds (the lease, not minutes).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.models import OutboxMessage
from bot.settings import Settings
from tests.bot.channels.messenger.conftest import graph_settings
from tests.fakes.graph_api import FakeGraph
from tests.helpers import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.DATABASE_URL,
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_PREFIX": settings.REDIS_PREFIX,
        "DATA_DIR": str(settings.DATA_DIR),
        "CONTENT_PATH": str(settings.CONTENT_PATH),
        "SESSION_SECRET": "test-session-secret",
        "FB_APP_SECRET": settings.FB_APP_SECRET,
        "FB_VERIFY_TOKEN": settings.FB_VERIFY_TOKEN,
        "FB_PAGE_ID": settings.FB_PAGE_ID,
        "FB_PAGE_ACCESS_TOKEN": settings.FB_PAGE_ACCESS_TOKEN,
        "FB_GRAPH_URL": settings.FB_GRAPH_URL,
        "WARM_RENDERS": "false",
        "WORKER_NICE": "0",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"], cwd=ROOT, env=env, stdout=out, stderr=out
    )


async def test_a_killed_worker_holding_locks_costs_seconds_and_doubles_nothing(
    aiohttp_client: Any,
    clean_db: str,
    make_settings: Callable[..., Settings],
    redis_url: str,
    is_postgres: bool,
    tmp_path: Path,
) -> None:
    if not (redis_url and is_postgres):
        pytest.skip("needs PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL)")
    async with FakeGraph() as fb:
        settings = make_settings(**graph_settings(fb), REDIS_URL=redis_url)
        client = await aiohttp_client(build_app(settings))  # `serve`: acks only
        url = str(client.make_url("/webhooks/messenger"))
        first = _worker(settings, tmp_path / "worker-1.log")
        second: subprocess.Popen[bytes] | None = None
        try:
            fb.delay_next(60.0, times=1, path_contains="p_stuck")  # its profile look-up hangs
            people = [f"p{n}" for n in range(5)]
            for psid in ["p_stuck", *people]:
                item = fb.postback(psid, "GET_STARTED", title="Bắt đầu")
                assert await fb.deliver(url, fb.envelope(item)) == [200]
            everyone = ["p_stuck", *people]

            async def all_sent() -> bool:
                return not await OutboxMessage.filter(
                    user_id__in=everyone, status="pending"
                ).exists()

            for psid in people:
                await wait_for(lambda p=psid: fb.texts(p), within=30, what=f"{psid} greeted")
            # No send in flight at the kill: a reply the platform accepted just before it,
            # that the dead worker could not record, is sent again (Messenger has no
            # idempotency key; README, "Reliability"). What is tested here is the locks and the
            # leases of a handler that hangs.
            await wait_for(all_sent, within=30, what="the greetings sent")
            assert fb.texts("p_stuck") == []  # its handler is stuck, holding the locks
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            later = [f"q{n}" for n in range(5)]
            for psid in ["p_stuck", *later]:
                item = fb.message(psid, "menu")
                assert await fb.deliver(url, fb.envelope(item)) == [200]
            loop = asyncio.get_running_loop()
            restarted = loop.time()
            second = _worker(settings, tmp_path / "worker-2.log")
            for psid in later:
                await wait_for(lambda p=psid: fb.texts(p), within=30, what=f"{psid} answered")
            everyone.extend(later)
            await wait_for(all_sent, within=30, what="the menus sent")
            greeting, menu = len(fb.sent_to("p0")), len(fb.sent_to("q0"))

            def stuck_answered() -> bool:  # the greeting, then the menu
                return len(fb.sent_to("p_stuck")) >= greeting + menu

            try:
                await wait_for(stuck_answered, within=40, what="the stuck person answered")
            except AssertionError:
                log = (tmp_path / "worker-2.log").read_text()[-3000:]
                raise AssertionError(f"p_stuck never answered; worker log:\n{log}") from None
            recovery = loop.time() - restarted
            assert recovery < 25, recovery  # two 10 s leases (inbox, FSM), not 120 s
            await wait_for(all_sent, within=40, what="every queued reply sent")
            await asyncio.sleep(1.0)  # anything doubled would show by now
            rows = await OutboxMessage.filter(user_id__in=everyone).values("id", "status")
            assert {r["status"] for r in rows} == {"sent"}
            delivered = Counter(
                s.body["message"].get("metadata") for p in everyone for s in fb.sent_to(p)
            )
            assert delivered == Counter(f"outbox:{r['id']}" for r in rows)  # each row once
            for psid in people:
                assert len(fb.sent_to(psid)) == greeting, psid
            for psid in later:
                assert len(fb.sent_to(psid)) == menu, psid
            assert len(fb.sent_to("p_stuck")) == greeting + menu
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(15)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            await client.close()
