"""The whole app on loopback with both platform fakes: events go in through the signed
webhooks, answers are read from what the fakes received.

Both channels have real-looking credentials pointing at the fakes, so nothing runs in
sandbox mode. Queue: `memory` is the in-process queue the app consumes itself; `redis`
(skipped without TEST_REDIS_URL) uses Redis for the queue, FSM, locks and cooldowns, with the
consumer started in the test (with REDIS_URL set the web process leaves it to `bot worker`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_app
from bot.core.router import Router
from bot.models import InboxEvent, OutboxMessage
from bot.runtime import RUNTIME, Runtime
from bot.settings import Settings
from tests.fakes.graph_api import FakeGraph, Sent
from tests.fakes.zalo_api import FakeZalo, SentMessage
from tests.helpers import wait_for


# --- reading what the fakes received ----------------------------------------------------------
def zalo_payload(msg: SentMessage) -> dict[str, Any]:
    return ((msg.message.get("attachment") or {}).get("payload")) or {}


def zalo_text(msg: SentMessage) -> str:
    """Everything a person reads in one Zalo message: text, element titles and subtitles."""
    parts = [msg.message.get("text") or ""]
    for element in zalo_payload(msg).get("elements") or []:
        parts += [element.get("title") or "", element.get("subtitle") or ""]
    return "\n".join(p for p in parts if p)


def zalo_buttons(msg: SentMessage) -> list[dict[str, Any]]:
    return list(zalo_payload(msg).get("buttons") or [])


def zalo_image_urls(msgs: list[SentMessage]) -> list[str]:
    return [
        element["url"]
        for msg in msgs
        if zalo_payload(msg).get("template_type") == "media"
        for element in zalo_payload(msg)["elements"]
        if element.get("url")
    ]


def fb_payload(sent: Sent) -> dict[str, Any]:
    return (sent.attachment or {}).get("payload") or {}


def fb_text(sent: Sent) -> str:
    """Text, button-template text, card titles and subtitles of one Messenger message."""
    parts = [sent.text or "", fb_payload(sent).get("text") or ""]
    for element in fb_payload(sent).get("elements") or []:
        parts += [element.get("title") or "", element.get("subtitle") or ""]
    return "\n".join(p for p in parts if p)


def fb_buttons(sent: Sent) -> list[dict[str, Any]]:
    """Template buttons, card buttons and quick-reply chips (`type: quick_reply`) of one
    message: the renderer picks which one a choice becomes."""
    payload = fb_payload(sent)
    found = list(payload.get("buttons") or [])
    for element in payload.get("elements") or []:
        found += element.get("buttons") or []
    message = sent.body.get("message") or {}
    for chip in message.get("quick_replies") or []:
        if chip.get("content_type") == "text":
            found.append(
                {"type": "quick_reply", "title": chip["title"], "payload": chip["payload"]}
            )
    return found


def fb_image_urls(sents: list[Sent]) -> list[str]:
    urls = []
    for sent in sents:
        attachment = sent.attachment or {}
        if attachment.get("type") == "image" and fb_payload(sent).get("url"):
            urls.append(fb_payload(sent)["url"])
        urls += [
            e["image_url"] for e in fb_payload(sent).get("elements") or [] if "image_url" in e
        ]
    return urls


def joined(texts: list[str]) -> str:
    return "\n".join(texts)


# --- the app ----------------------------------------------------------------------------------
class Bot:
    """The running app plus helpers that play a person on either platform."""

    def __init__(self, client: TestClient, zalo: FakeZalo, fb: FakeGraph) -> None:
        self.client = client
        self.zalo = zalo
        self.fb = fb

    @property
    def runtime(self) -> Runtime:
        return self.client.app[RUNTIME]  # type: ignore[index]

    @property
    def zalo_url(self) -> str:
        return str(self.client.make_url("/webhooks/zalo"))

    @property
    def fb_url(self) -> str:
        return str(self.client.make_url("/webhooks/messenger"))

    async def settled(self) -> None:
        """Wait until every stored event was handled and every answer sent (bounded)."""

        async def idle() -> bool:
            busy_in = await InboxEvent.filter(status__in=("pending", "processing")).exists()
            busy_out = await OutboxMessage.filter(status="pending").exists()
            return not busy_in and not busy_out

        await wait_for(idle, what="the bot to finish handling and sending")

    async def zalo_event(self, user_id: str, event: dict[str, Any]) -> list[SentMessage]:
        """Deliver one signed Zalo event; return what the bot sent that user in answer."""
        before = len(self.zalo.sent_to(user_id))
        assert await self.zalo.deliver(self.zalo_url, event) == [200]
        await self.settled()
        return self.zalo.sent_to(user_id)[before:]

    async def zalo_says(self, user_id: str, text: str) -> list[SentMessage]:
        return await self.zalo_event(user_id, self.zalo.events.user_send_text(user_id, text))

    async def fb_event(self, psid: str, item: dict[str, Any]) -> list[Sent]:
        """Deliver one signed Messenger item; return what the bot sent that person in answer."""
        before = len(self.fb.sent_to(psid))
        assert await self.fb.deliver(self.fb_url, self.fb.envelope(item)) == [200]
        await self.settled()
        return self.fb.sent_to(psid)[before:]

    async def fb_says(self, psid: str, text: str) -> list[Sent]:
        return await self.fb_event(psid, self.fb.message(psid, text))

    async def fb_taps(self, psid: str, payload: str, title: str = "") -> list[Sent]:
        return await self.fb_event(psid, self.fb.postback(psid, payload, title=title))

    async def fb_press(self, psid: str, button: dict[str, Any]) -> list[Sent]:
        """Tap a button or chip the way Messenger reports it: a postback, or a message with
        the chip's `quick_reply.payload`."""
        if button["type"] == "quick_reply":
            item = self.fb.message(psid, button["title"], quick_reply=button["payload"])
            return await self.fb_event(psid, item)
        assert button["type"] == "postback", button
        return await self.fb_taps(psid, button["payload"], button["title"])

    async def image_png(self, url: str, *, kind: str = "png") -> bytes:
        """Fetch one of our `/media/...` images from the app itself (`kind`: png, jpeg)."""
        path = url[url.index("/media/") :]
        resp = await self.client.get(path)
        assert resp.status == 200, path
        assert resp.content_type == f"image/{kind}"
        return await resp.read()


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


@pytest.fixture
async def fb() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
def bot_settings(
    make_settings: Callable[..., Settings], zalo: FakeZalo, fb: FakeGraph
) -> Callable[..., Settings]:
    """Both channels configured at the fakes; the content file is re-read every 50 ms."""

    def factory(**overrides: Any) -> Settings:
        access, refresh = zalo.issue_tokens()
        values: dict[str, Any] = {
            "ZALO_APP_ID": zalo.app_id,
            "ZALO_APP_SECRET": zalo.app_secret,
            "ZALO_OA_ID": zalo.oa_id,
            "ZALO_OA_SECRET_KEY": zalo.oa_secret_key,
            "ZALO_OA_ACCESS_TOKEN": access,
            "ZALO_OA_REFRESH_TOKEN": refresh,
            "ZALO_OPENAPI_URL": zalo.url,
            "ZALO_OAUTH_URL": zalo.url,
            "ZALO_GRAPH_URL": zalo.url,
            "ZALO_BUSINESS_URL": zalo.url,
            "FB_APP_SECRET": fb.app_secret,
            "FB_VERIFY_TOKEN": fb.verify_token,
            "FB_PAGE_ID": fb.page_id,
            "FB_PAGE_ACCESS_TOKEN": fb.page_token,
            "FB_GRAPH_URL": fb.base_url,
            "CONTENT_RELOAD_SECONDS": 0.05,
        }
        values.update(overrides)
        return make_settings(**values)

    return factory


async def _start(
    aiohttp_client: Any,
    settings: Settings,
    zalo: FakeZalo,
    fb: FakeGraph,
    routers: Sequence[Router] = (),
) -> AsyncIterator[Bot]:
    app = build_app(settings, routers=routers, consume=True)
    client = await aiohttp_client(app)
    yield Bot(client, zalo, fb)


@pytest.fixture
async def bot(
    aiohttp_client: Any,
    clean_db: str,
    bot_settings: Callable[..., Settings],
    zalo: FakeZalo,
    fb: FakeGraph,
) -> AsyncIterator[Bot]:
    """The app on the in-process queue and memory backends."""
    async for value in _start(aiohttp_client, bot_settings(), zalo, fb):
        yield value


@pytest.fixture
def make_bot(
    aiohttp_client: Any,
    clean_db: str,
    bot_settings: Callable[..., Settings],
    zalo: FakeZalo,
    fb: FakeGraph,
) -> Callable[..., Awaitable[Bot]]:
    """Start the app with test routers ahead of the product flows."""

    async def factory(*routers: Router) -> Bot:
        async for value in _start(aiohttp_client, bot_settings(), zalo, fb, routers):
            return value
        raise AssertionError("unreachable")

    return factory


@pytest.fixture
async def bot_both(
    aiohttp_client: Any,
    clean_db: str,
    bot_settings: Callable[..., Settings],
    zalo: FakeZalo,
    fb: FakeGraph,
    backend: str,
    redis_url: str,
) -> AsyncIterator[Bot]:
    """The app on memory backends, and again on Redis with the consumer in the test."""
    settings = bot_settings(REDIS_URL=redis_url if backend == "redis" else "")
    async for value in _start(aiohttp_client, settings, zalo, fb):
        yield value


class ContentFile:
    """The test's private copy of the content file, edited the way an admin would."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def write(self, text: str) -> None:
        self.path.write_text(text, encoding="utf-8")

    def replace(self, old: str, new: str) -> None:
        """Replace one exact piece (which must be there)."""
        text = self.read()
        assert old in text, f"{old!r} is not in the content file"
        self.write(text.replace(old, new, 1))


@pytest.fixture
def content_file(content_path: Path) -> ContentFile:
    return ContentFile(content_path)
