"""Faults a platform or an operator causes: each acknowledged event answered exactly once.

- one event holding a NUL or a lone surrogate among many valid ones: nobody fails;
- deeply nested JSON: 400, not 500;
- Redis stopped while webhooks arrive, then started again (a Redis of the test's own, on its
  own port, never the shared one): the worker notices and the waiting events are answered
  within seconds, not at the next sweep.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.events import MessageEvent
from bot.models import InboxEvent
from bot.settings import Settings
from tests.bot.channels.messenger.conftest import graph_settings, start_app
from tests.fakes.graph_api import FakeGraph
from tests.helpers import wait_for

pytestmark = pytest.mark.faults


async def test_one_poison_event_among_many_fails_nobody(
    aiohttp_client: Any, clean_db: str, make_settings: Callable[..., Settings]
) -> None:
    async with FakeGraph() as fb:
        settings = make_settings(**graph_settings(fb))
        async for app in start_app(aiohttp_client, settings, fb, "memory"):
            good = [fb.message(f"p{n}", f"tin {n}") for n in range(60)]
            nul = fb.message("p_nul", "xin\x00chào")
            surrogate = fb.message("p_sur", "a\ud800b")
            bad_id = fb.message("p\x00x", "id with NUL")
            envelopes = [fb.envelope(item) for item in [*good, nul, surrogate, bad_id]]
            statuses = await asyncio.gather(*(fb.deliver(app.url, e) for e in envelopes))
            assert statuses == [[200]] * len(envelopes)  # every webhook acknowledged

            async def handled() -> bool:
                return await InboxEvent.filter(status="done").count() >= 62

            await wait_for(handled, within=30, what="the valid and the cleaned events")
            texts = Counter(e.text for e in app.recorder.of(MessageEvent))
            assert all(texts[f"tin {n}"] == 1 for n in range(60))  # each exactly once
            assert texts["xin\ufffdchào"] == 1 and texts["a\ufffdb"] == 1  # cleaned, kept
            users = await InboxEvent.all().values_list("user_id", flat=True)
            assert len(users) == 62 and "p\x00x" not in users  # the unstorable id dropped


async def test_json_nested_too_deep_is_a_400(
    aiohttp_client: Any, clean_db: str, make_settings: Callable[..., Settings]
) -> None:
    async with FakeGraph() as fb:
        settings = make_settings(**graph_settings(fb))
        async for app in start_app(aiohttp_client, settings, fb, "memory"):
            raw = b'{"object": "page", "entry": ' + b"[" * 5000 + b"]" * 5000 + b"}"
            resp = await app.client.post(
                "/webhooks/messenger", data=raw, headers=fb.webhook_headers(raw)
            )
            assert resp.status == 400


# --- a Redis of our own ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.dir = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.dir)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_a_redis_restart_is_noticed_and_waiting_events_answered(
    aiohttp_client: Any,
    clean_db: str,
    make_settings: Callable[..., Settings],
    own_redis: OwnRedis,
    is_postgres: bool,
) -> None:
    async with FakeGraph() as fb:
        settings = make_settings(**graph_settings(fb), REDIS_URL=own_redis.url)
        async for app in start_app(aiohttp_client, settings, fb, "redis"):
            assert await fb.deliver(app.url, fb.envelope(fb.message("p0", "trước"))) == [200]
            await wait_for(lambda: fb.texts("p0"), what="the first answer")
            own_redis.stop()  # the queue and every job in it are gone
            items = [fb.message(f"p{n}", f"trong lúc {n}") for n in range(1, 6)]
            for item in items:  # acknowledged: the database is the durable queue
                assert await fb.deliver(app.url, fb.envelope(item)) == [200]
            own_redis.start()  # an empty Redis, a new run_id
            back = asyncio.get_running_loop().time()
            for n in range(1, 6):
                await wait_for(lambda n=n: fb.texts(f"p{n}"), within=15, what=f"p{n} answered")
            recovered = asyncio.get_running_loop().time() - back
            assert recovered < 10  # seconds, not the sweep's minute
            for n in range(1, 6):
                assert fb.texts(f"p{n}") == [f"echo: trong lúc {n}"]  # exactly once
            watch = app.runtime.redis_watch
            assert watch is not None
            if not is_postgres:  # with PostgreSQL the feeder's catch-up may get there first
                assert watch.restarts >= 1
