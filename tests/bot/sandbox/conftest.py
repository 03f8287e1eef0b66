"""The whole app on loopback with no platform credentials (so both channels run in sandbox
mode), a helper that posts sandbox events, and a reader for the server-sent event stream.

Queue: `memory` is the in-process queue the app consumes itself; `redis` (skipped without
TEST_REDIS_URL) keeps queue, KV, locks and FSM in Redis with the consumer started in the test,
as `bot worker` would run it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.runtime import RUNTIME, Runtime
from bot.settings import Settings
from tests.helpers import wait_for  # noqa: F401 - re-exported to the tests here

WITHIN = 10.0


@dataclass
class SSE:
    event: str
    data: dict[str, Any]
    id: str | None


@dataclass
class EventStream:
    """Reads `text/event-stream` frames from an open response."""

    resp: ClientResponse
    seen: list[SSE] = field(default_factory=list)

    async def next(self) -> SSE:
        event, data, event_id = "message", "", None
        while True:
            raw = await self.resp.content.readline()
            if not raw:
                raise AssertionError("the event stream ended")
            line = raw.decode().rstrip("\n")
            if line == "":
                if data:
                    frame = SSE(event, json.loads(data), event_id)
                    self.seen.append(frame)
                    return frame
                continue
            if line.startswith(":"):
                continue
            key, _, value = line.partition(": ")
            if key == "event":
                event = value
            elif key == "data":
                data += value
            elif key == "id":
                event_id = value

    async def until(
        self, check: Callable[[dict[str, Any]], bool], *, what: str = "a message"
    ) -> dict[str, Any]:
        """The first `message` event from now on whose data passes `check` (bounded)."""
        try:
            async with asyncio.timeout(WITHIN):
                while True:
                    frame = await self.next()
                    if frame.event == "message" and check(frame.data):
                        return frame.data
        except TimeoutError:
            got = [f.data.get("payload") for f in self.seen if f.event == "message"]
            raise AssertionError(f"timed out waiting for {what}; got {got}") from None


def zalo_message(data: dict[str, Any]) -> dict[str, Any]:
    return data["payload"].get("message") or {}


def text_of(data: dict[str, Any]) -> str:
    """What a person reads in one stored request, on either platform."""
    message = data["payload"].get("message") or {}
    parts = [message.get("text") or ""]
    payload = (message.get("attachment") or {}).get("payload") or {}
    parts.append(payload.get("text") or "")
    for element in payload.get("elements") or []:
        parts += [element.get("title") or "", element.get("subtitle") or ""]
    return "\n".join(p for p in parts if p)


def image_of(data: dict[str, Any]) -> str | None:
    message = data["payload"].get("message") or {}
    attachment = message.get("attachment") or {}
    payload = attachment.get("payload") or {}
    if attachment.get("type") == "image":
        return payload.get("url")
    for element in payload.get("elements") or []:
        url = element.get("url") or element.get("image_url")
        if url:
            return str(url)
    return None


def buttons_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    message = data["payload"].get("message") or {}
    payload = (message.get("attachment") or {}).get("payload") or {}
    found = list(payload.get("buttons") or [])
    for element in payload.get("elements") or []:
        found += element.get("buttons") or []
    return found


def choices_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every tappable choice of a Messenger message: template buttons and quick replies."""
    message = data["payload"].get("message") or {}
    return buttons_of(data) + list(message.get("quick_replies") or [])


class Sandbox:
    """The running app and the page's two calls: post an event, open the stream."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    @property
    def runtime(self) -> Runtime:
        return self.client.app[RUNTIME]  # type: ignore[index]

    async def post(self, channel: str, user_id: str, name: str = "Lan", **action: Any) -> Any:
        body = {"channel": channel, "user": {"id": user_id, "name": name}, **action}
        resp = await self.client.post("/sandbox/api/events", json=body)
        data = await resp.json()
        assert resp.status == 200, data
        return data

    async def stream(
        self, channel: str, user_id: str, *, history: int = 20, last_id: str | None = None
    ) -> EventStream:
        headers = {"Last-Event-ID": last_id} if last_id else {}
        resp = await self.client.get(
            "/sandbox/api/stream",
            params={"channel": channel, "user_id": user_id, "history": str(history)},
            headers=headers,
        )
        assert resp.status == 200
        assert resp.content_type == "text/event-stream"
        stream = EventStream(resp)
        ready = await stream.next()
        assert ready.event == "ready"
        return stream


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Sandbox]:
    """The app on a loopback port, started and closed in the same task.

    (Tortoise keeps its connections per context: an app started in a test and closed in a
    fixture's teardown, as with pytest-aiohttp's `aiohttp_client`, would leave its SQLite
    connection thread running.)
    """
    app = build_app(settings, consume=True)  # with Redis: be the worker too
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Sandbox(client)
    finally:
        await client.close()


@pytest.fixture
async def sandbox(clean_db: str, make_settings: Callable[..., Settings]) -> AsyncIterator[Sandbox]:
    """No credentials at all: the sandbox is on by default."""
    async with running(make_settings()) as box:
        yield box


@pytest.fixture
async def sandbox_both(
    clean_db: str,
    make_settings: Callable[..., Settings],
    backend: str,
    redis_url: str,
) -> AsyncIterator[Sandbox]:
    """The same, once on in-process backends and once on Redis."""
    settings = make_settings(REDIS_URL=redis_url if backend == "redis" else "")
    async with running(settings) as box:
        yield box
