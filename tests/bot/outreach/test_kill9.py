"""A broadcast worker killed with `kill -9` mid-way, then resumed: nobody twice, nobody skipped.

The only rows not `sent` are those whose platform call was under way when the process died
(`failed`, "unknown: ..."): the documented window, never resent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.models import BroadcastRecipient
from bot.settings import Settings
from tests.bot.handlers.conftest import Bot
from tests.bot.outreach.conftest import HEADERS, Clock, fb_member, sender_for
from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
async def test_kill9_mid_broadcast_then_resume(app: Bot) -> None:
    psids = [f"p{i}" for i in range(40)]
    for psid in psids:
        await fb_member(app, psid)
    r = await app.client.post(
        "/api/v1/admin/broadcasts",
        json={
            "name": "k9",
            "segment": "all",
            "message": {"text": "Hi {name}"},
            "purpose": "update",
        },
        headers=HEADERS,
    )
    bid = (await r.json())["id"]
    app.fb.delay_next(0.05, times=1000)  # each send takes 50 ms at the fake

    settings: Settings = app.runtime.settings
    env = {
        **os.environ,
        "DATABASE_URL": settings.DATABASE_URL,
        "CONTENT_PATH": str(settings.CONTENT_PATH),
        "DATA_DIR": str(settings.DATA_DIR),
        "REDIS_URL": "",
        "FB_APP_SECRET": settings.FB_APP_SECRET,
        "FB_VERIFY_TOKEN": settings.FB_VERIFY_TOKEN,
        "FB_PAGE_ID": settings.FB_PAGE_ID,
        "FB_PAGE_ACCESS_TOKEN": settings.FB_PAGE_ACCESS_TOKEN,
        "FB_GRAPH_URL": settings.FB_GRAPH_URL,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bot.outreach.broadcast_worker", str(bid),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:

        async def some_sent() -> bool:
            return len(app.fb.sent) >= 10

        await wait_for(some_sent, what="the doomed worker to send some", within=30)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = len(app.fb.sent)
    assert before < len(psids)  # it really died mid-way

    await asyncio.sleep(1.1)  # past the dead worker's claim lease
    clock = Clock(datetime.now(UTC))
    sender, _ = sender_for(app, clock, worker="heir")
    sender.lease = sender.lease.__class__(seconds=1)
    await sender.run(bid)

    per_user = Counter(s.psid for s in app.fb.sent)
    assert max(per_user.values()) == 1, "somebody got the broadcast twice"
    rows = await BroadcastRecipient.filter(broadcast_id=bid)
    by_status = Counter(r.status for r in rows)
    unknown = [r for r in rows if r.status == "failed"]
    assert all((r.reason or "").startswith("unknown:") for r in unknown)
    assert by_status["sent"] + len(unknown) == len(psids)  # nobody skipped
    # at most the calls in flight plus one group of accepted rows whose `sent` was not yet
    # written (both bounded by the worker's concurrency, 4)
    assert len(unknown) <= 8
    sent_members = {r.member_id for r in rows if r.status == "sent"}
    assert len(sent_members) == by_status["sent"]
    assert len(per_user) >= by_status["sent"]  # every `sent` row arrived
