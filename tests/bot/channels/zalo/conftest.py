"""Fixtures for the Zalo channel: the fake Zalo over loopback HTTP, settings pointing at it
with real-looking credentials (so the channel is NOT in sandbox mode), and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_app
from bot.backends.memory import MemoryLocks
from bot.channels.zalo import AiohttpSession, RetryPolicy, ZaloAPIServer, ZaloClient
from bot.channels.zalo.tokens import TokenManager
from bot.core.events import Event, FollowEvent, MessageEvent, PayloadEvent
from bot.core.messages import Button, RequestPhone, Text
from bot.core.router import Router
from bot.models import InboxEvent
from bot.runtime import RUNTIME, Runtime
from bot.settings import Settings
from tests.fakes.zalo_api import FakeZalo
from tests.helpers import wait_for

E = TypeVar("E", bound=Event)


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


@pytest.fixture
def zalo_settings(
    make_settings: Callable[..., Settings], zalo: FakeZalo
) -> Callable[..., Settings]:
    """Settings for a configured OA at the fake: fresh seed tokens on each call."""

    def factory(**overrides: object) -> Settings:
        access, refresh = zalo.issue_tokens()
        values: dict[str, object] = {
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
        }
        values.update(overrides)
        return make_settings(**values)

    return factory


@pytest.fixture
async def session(zalo: FakeZalo) -> AsyncIterator[AiohttpSession]:
    s = AiohttpSession(ZaloAPIServer(zalo.url, zalo.url, zalo.url, zalo.url))
    yield s
    await s.close()


@pytest.fixture
async def tokens(db: str, zalo: FakeZalo, session: AiohttpSession) -> TokenManager:
    """A token store in the test DB, seeded with a valid pair from the fake."""
    access, refresh = zalo.issue_tokens()
    manager = TokenManager(
        account_id=zalo.oa_id,
        app_id=zalo.app_id,
        app_secret=zalo.app_secret,
        session=session,
        locks=MemoryLocks(),
        seed_access_token=access,
        seed_refresh_token=refresh,
    )
    await manager.seed()
    return manager


@pytest.fixture
def client(session: AiohttpSession, tokens: TokenManager) -> ZaloClient:
    # Small delays keep the retry tests quick; the policy itself is under test.
    return ZaloClient(
        session,
        tokens=tokens,
        app_secret="appsecret",
        retry=RetryPolicy(attempts=3, base=0.01, cap=0.05),
    )


# --- the whole app ------------------------------------------------------------------------
@dataclass
class Recorder:
    """Every neutral event the test router handled, in order."""

    events: list[Event] = field(default_factory=list)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]


LONG_TEXT = "\n\n".join(["Thể lệ chương trình: " + "tích điểm đổi quà hấp dẫn. " * 60] * 3)
SIX_BUTTONS = tuple(Button(title=f"Lựa chọn {i}", payload=f"opt:{i}") for i in range(1, 7))


def recording_router(recorder: Recorder) -> Router:
    """Ahead of the product flows: records every event and answers with neutral messages."""
    router = Router(name="zalo-test")

    @router.message()
    async def on_message(event: MessageEvent, reply: Any) -> None:
        recorder.events.append(event)
        if event.text == "dài":
            await reply(Text(text=LONG_TEXT))
        elif event.text == "nút":
            await reply(Text(text="Chọn một:", buttons=SIX_BUTTONS))
        elif event.text == "sđt":
            await reply(RequestPhone(text="Chia sẻ số điện thoại để nhận quà nhé"))
        else:
            await reply(Text(text=f"Bạn nói: {event.text}"))

    @router.payload()
    async def on_payload(event: PayloadEvent, reply: Any) -> None:
        recorder.events.append(event)
        await reply(Text(text=f"Đã chọn {event.payload}"))

    @router.follow()
    async def on_follow(event: FollowEvent, reply: Any) -> None:
        recorder.events.append(event)
        await reply(Text(text="Chào mừng bạn!"))

    for observer in (router.shared_info, router.reaction, router.unfollow, router.referral):

        async def record(event: Event) -> None:
            recorder.events.append(event)

        observer.register(record)
    return router


@dataclass
class ZaloApp:
    client: TestClient
    runtime: Runtime
    zalo: FakeZalo
    recorder: Recorder

    @property
    def url(self) -> str:
        return str(self.client.make_url("/webhooks/zalo"))

    async def post(self, event: dict[str, Any], **kw: Any) -> int:
        [status] = await self.zalo.deliver(self.url, event, **kw)
        return status

    async def inbox_done(self, count: int) -> None:
        """Wait until `count` inbox rows are processed (done or failed)."""

        async def check() -> bool:
            return await InboxEvent.filter(status__in=("done", "failed")).count() >= count

        await wait_for(check, what=f"{count} processed inbox events")

    async def sent_count(self, count: int, user_id: str | None = None) -> None:
        def check() -> bool:
            sent = self.zalo.sent_to(user_id) if user_id else self.zalo.sent
            return len(sent) >= count

        await wait_for(check, what=f"{count} messages at the fake")


async def _start(aiohttp_client: Any, settings: Settings, zalo: FakeZalo, backend: str) -> ZaloApp:
    recorder = Recorder()
    # With REDIS_URL set the web process leaves the queue to `bot worker`: be it here too.
    app = build_app(settings, routers=[recording_router(recorder)], consume=True)
    client = await aiohttp_client(app)
    runtime = app[RUNTIME]
    return ZaloApp(client, runtime, zalo, recorder)


@pytest.fixture
async def zapp(
    zalo: FakeZalo, aiohttp_client: Any, clean_db: str, zalo_settings: Callable[..., Settings]
) -> ZaloApp:
    """The real app, configured for the fake OA, on the in-process queue."""
    return await _start(aiohttp_client, zalo_settings(), zalo, "memory")


@pytest.fixture
async def zapp_both(
    zalo: FakeZalo,
    aiohttp_client: Any,
    clean_db: str,
    zalo_settings: Callable[..., Settings],
    backend: str,
    redis_url: str,
) -> ZaloApp:
    """The same on the in-process queue, and on Redis (arq) with a consumer in the test."""
    settings = zalo_settings(REDIS_URL=redis_url if backend == "redis" else "")
    return await _start(aiohttp_client, settings, zalo, backend)
