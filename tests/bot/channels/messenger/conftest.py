"""Fixtures: a running fake Graph, settings pointing at it, and the whole app around it.

Channel tests run the real app (`build_app`) on loopback with a test router ahead of the
product flows. Queue: `backend="memory"` is the in-process queue the app consumes itself;
`backend="redis"` (skipped without TEST_REDIS_URL) uses Redis and starts a consumer in the
test, because with REDIS_URL set the web process leaves the queue to `bot worker`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_app
from bot.core.events import Event, FollowEvent, MessageEvent, PayloadEvent
from bot.core.messages import Text
from bot.core.router import Router
from bot.runtime import RUNTIME, Runtime
from bot.settings import Settings
from tests.fakes.graph_api import FakeGraph
from tests.helpers import wait_for  # noqa: F401 - re-exported to the tests here


@pytest.fixture
async def fb() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
def fb_settings(make_settings: Callable[..., Settings], fb: FakeGraph) -> Callable[..., Settings]:
    """Settings with real-looking Messenger credentials, all pointing at the fake."""

    def factory(**overrides: Any) -> Settings:
        return make_settings(**{**graph_settings(fb), **overrides})

    return factory


def graph_settings(fb: FakeGraph) -> dict[str, Any]:
    """Real-looking Messenger settings for a Page served by the fake Graph."""
    return {
        "FB_APP_SECRET": fb.app_secret,
        "FB_VERIFY_TOKEN": fb.verify_token,
        "FB_PAGE_ID": fb.page_id,
        "FB_PAGE_ACCESS_TOKEN": fb.page_token,
        "FB_GRAPH_URL": fb.base_url,
        "FB_GRAPH_VERSION": "v25.0",
    }


@dataclass
class Recorder:
    """What the test router saw."""

    events: list[Event] = field(default_factory=list)

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def recording_router(recorder: Recorder) -> Router:
    """Handles every kind ahead of the product; answers messages and payloads with text."""
    router = Router(name="messenger-test")

    @router.message()
    async def on_message(event: MessageEvent, reply: Any) -> None:
        recorder.events.append(event)
        await reply(Text(text=f"echo: {event.text}"))

    @router.payload()
    async def on_payload(event: PayloadEvent, reply: Any) -> None:
        recorder.events.append(event)
        await reply(Text(text=f"payload: {event.payload}"))

    @router.follow()
    async def on_follow(event: FollowEvent, reply: Any) -> None:
        recorder.events.append(event)
        await reply(Text(text="welcome"))

    for observer in (router.shared_info, router.referral, router.reaction, router.unfollow):

        async def record(event: Event) -> None:
            recorder.events.append(event)

        observer.register(record)
    return router


@dataclass
class MessengerApp:
    client: TestClient
    runtime: Runtime
    fb: FakeGraph
    recorder: Recorder

    @property
    def url(self) -> str:
        return str(self.client.make_url("/webhooks/messenger"))


@pytest.fixture
def memory_backend() -> str:
    return "memory"


async def start_app(
    aiohttp_client: Any,
    settings: Settings,
    fb: FakeGraph,
    backend: str,
) -> AsyncIterator[MessengerApp]:
    """The real app with the recording router; on Redis, with a consumer in the test."""
    recorder = Recorder()
    # With REDIS_URL set the web process does not consume; be the worker here too.
    app = build_app(settings, routers=[recording_router(recorder)], consume=True)
    client = await aiohttp_client(app)
    runtime = app[RUNTIME]
    yield MessengerApp(client, runtime, fb, recorder)


@pytest.fixture
async def mapp(
    fb: FakeGraph,
    aiohttp_client: Any,
    clean_db: str,
    fb_settings: Callable[..., Settings],
    memory_backend: str,
) -> AsyncIterator[MessengerApp]:
    """The app on the in-process queue (most tests)."""
    async for value in start_app(aiohttp_client, fb_settings(), fb, memory_backend):
        yield value


@pytest.fixture
async def mapp_both(
    fb: FakeGraph,
    aiohttp_client: Any,
    clean_db: str,
    fb_settings: Callable[..., Settings],
    backend: str,
    redis_url: str,
) -> AsyncIterator[MessengerApp]:
    """The app on the in-process queue, and again on Redis with a consumer in the test."""
    settings = fb_settings(REDIS_URL=redis_url if backend == "redis" else "")
    async for value in start_app(aiohttp_client, settings, fb, backend):
        yield value
