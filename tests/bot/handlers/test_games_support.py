"""Harness for the chat game tests: the whole app with both fake platforms, and a person.

`ChatUser` is a person on Zalo or Messenger who only does what a real one can: type, tap a
button the bot actually sent (its payload goes back the platform's way: an `oa.query.hide`
text on Zalo, a postback or quick reply on Messenger), and read what the fake platform
received. Nothing in here knows how the handlers work.

This module holds fixtures and helpers only; the tests import from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_app
from bot.content.schema import Content
from bot.runtime import RUNTIME, Runtime
from bot.settings import Settings
from tests.bot.handlers.test_games_content import write_content
from tests.bot.handlers.test_games_screen import Out, Tap, messenger_out, zalo_out
from tests.fakes.graph_api import FakeGraph
from tests.fakes.zalo_api import FakeZalo

CHANNELS = ("zalo", "messenger")
START = datetime(2025, 11, 22, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
WAIT = 5.0


class ChatUser:
    """One person on one channel, driving the real app through the fake platform."""

    def __init__(self, app: GameApp, channel: str, user_id: str) -> None:
        self.app, self.channel, self.user_id = app, channel, user_id

    def outs(self) -> list[Out]:
        if self.channel == "zalo":
            return [zalo_out(m.message) for m in self.app.zalo.sent_to(self.user_id)]
        sent = [s for s in self.app.fb.sent if s.psid == self.user_id and "message" in s.body]
        return [messenger_out(s.body["message"]) for s in sent]

    @property
    def mark(self) -> int:
        return len(self.outs())

    async def say(self, text: str) -> None:
        if self.channel == "zalo":
            event = self.app.zalo.events.user_send_text(self.user_id, text)
            assert await self.app.zalo.deliver(self.app.url("zalo"), event) == [200]
        else:
            item = self.app.fb.message(self.user_id, text)
            envelope = self.app.fb.envelope(item)
            assert await self.app.fb.deliver(self.app.url("messenger"), envelope) == [200]

    def tap_event(self, tap: Tap) -> tuple[str, Any]:
        """The webhook body a tap produces (so a test can deliver it twice, or two taps)."""
        if self.channel == "zalo":
            return "zalo", self.app.zalo.events.user_send_text(self.user_id, tap.raw)
        if tap.kind == "quick_reply":
            item = self.app.fb.message(self.user_id, tap.title, quick_reply=tap.raw)
        else:
            item = self.app.fb.postback(self.user_id, tap.raw, title=tap.title)
        return "messenger", self.app.fb.envelope(item)

    async def deliver(self, body: tuple[str, Any], *, times: int = 1) -> None:
        channel, event = body
        fake = self.app.zalo if channel == "zalo" else self.app.fb
        statuses = await fake.deliver(self.app.url(channel), event, times=times)
        assert statuses == [200] * times

    async def tap(self, tap: Tap) -> None:
        await self.deliver(self.tap_event(tap))

    async def expect(
        self, check: Callable[[Out], bool], *, after: int, what: str = "a message"
    ) -> Out:
        """The first message from index `after` on that passes `check` (bounded wait)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while True:
            for out in self.outs()[after:]:
                if check(out):
                    return out
            if loop.time() > deadline:
                got = "\n".join(f"  {o}" for o in self.outs()[after:])
                raise AssertionError(f"timed out waiting for {what}; got:\n{got}")
            await asyncio.sleep(0.05)


class Clock:
    """The handlers' clock (`build_app(clock=...)`): moves only when the test says."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class GameApp:
    client: TestClient
    runtime: Runtime
    zalo: FakeZalo
    fb: FakeGraph
    clock: Clock

    def url(self, channel: str) -> str:
        return str(self.client.make_url(f"/webhooks/{channel}"))

    @property
    def content(self) -> Content:
        return self.runtime.content.current

    def user(self, channel: str, user_id: str = "u1") -> ChatUser:
        if channel == "zalo":
            if user_id not in self.zalo.users:
                self.zalo.add_user(user_id, "Lan")
        else:
            self.fb.add_user(user_id, "Lan", "Nguyễn")
        return ChatUser(self, channel, user_id)

    async def media(self, url: str) -> tuple[int, str]:
        """GET an image link the bot sent, from this app (the link's base is PUBLIC_BASE_URL)."""
        base = self.runtime.settings.PUBLIC_BASE_URL
        assert url.startswith(base + "/media/"), url
        async with self.client.get(url[len(base) :]) as resp:
            await resp.read()
            return resp.status, resp.content_type


def both_settings(
    make_settings: Callable[..., Settings], zalo: FakeZalo, fb: FakeGraph, **overrides: Any
) -> Settings:
    access, refresh = zalo.issue_tokens()
    return make_settings(
        **overrides,
        ZALO_APP_ID=zalo.app_id,
        ZALO_APP_SECRET=zalo.app_secret,
        ZALO_OA_ID=zalo.oa_id,
        ZALO_OA_SECRET_KEY=zalo.oa_secret_key,
        ZALO_OA_ACCESS_TOKEN=access,
        ZALO_OA_REFRESH_TOKEN=refresh,
        ZALO_OPENAPI_URL=zalo.url,
        ZALO_OAUTH_URL=zalo.url,
        ZALO_GRAPH_URL=zalo.url,
        ZALO_BUSINESS_URL=zalo.url,
        FB_APP_SECRET=fb.app_secret,
        FB_VERIFY_TOKEN=fb.verify_token,
        FB_PAGE_ID=fb.page_id,
        FB_PAGE_ACCESS_TOKEN=fb.page_token,
        FB_GRAPH_URL=fb.base_url,
    )


async def start_app(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    content_path: Path,
    *,
    redis_url: str = "",
    **content: Any,
) -> AsyncIterator[GameApp]:
    """The real app with both channels configured against the fakes: in-process queue and
    memory backends, or Redis (`redis_url`) with the queue consumer started here (with
    REDIS_URL set the web process leaves it to `bot worker`)."""
    write_content(content_path, **content)
    async with FakeZalo() as zalo, FakeGraph() as fb:
        settings = both_settings(make_settings, zalo, fb, REDIS_URL=redis_url)
        clock = Clock()
        app = build_app(settings, clock=clock, consume=True)
        client = await aiohttp_client(app)
        runtime = app[RUNTIME]
        try:
            yield GameApp(client, runtime, zalo, fb, clock)
        finally:
            await client.close()


@pytest.fixture(params=CHANNELS, name="channel")
def fixture_channel(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(name="winning_app")
async def fixture_winning_app(
    aiohttp_client: Any, clean_db: str, make_settings: Callable[..., Settings], content_path: Path
) -> AsyncIterator[GameApp]:
    """Every wheel and scratch play wins the 50K voucher; the quiz prize is in stock."""
    async for app in start_app(aiohttp_client, make_settings, content_path, stock=5):
        yield app


@pytest.fixture(params=["memory", "redis"], name="winning_app_both")
async def fixture_winning_app_both(
    request: pytest.FixtureRequest,
    aiohttp_client: Any,
    clean_db: str,
    make_settings: Callable[..., Settings],
    content_path: Path,
    redis_url: str,
) -> AsyncIterator[GameApp]:
    """`winning_app` on memory backends, and again on Redis (skipped without TEST_REDIS_URL)."""
    if request.param == "redis" and not redis_url:
        pytest.skip("TEST_REDIS_URL is not set")
    url = redis_url if request.param == "redis" else ""
    async for app in start_app(aiohttp_client, make_settings, content_path, redis_url=url):
        yield app


@pytest.fixture(name="losing_app")
async def fixture_losing_app(
    aiohttp_client: Any, clean_db: str, make_settings: Callable[..., Settings], content_path: Path
) -> AsyncIterator[GameApp]:
    """The only prize is sold out: every play gets the no-prize outcome."""
    async for app in start_app(aiohttp_client, make_settings, content_path, stock=0):
        yield app


@pytest.fixture(name="ended_app")
async def fixture_ended_app(
    aiohttp_client: Any, clean_db: str, make_settings: Callable[..., Settings], content_path: Path
) -> AsyncIterator[GameApp]:
    """The wheel campaign ended in 2020."""
    async for app in start_app(aiohttp_client, make_settings, content_path, ended=True):
        yield app
