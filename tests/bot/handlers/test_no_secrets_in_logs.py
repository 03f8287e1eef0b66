"""No token or secret ever reaches a log line, an exception text, a stored error or a repr.

The whole client stack runs against both fakes with real-looking credentials: ordinary
replies, an expired OA token (refresh), 5xx and error bodies, a Page call that times out,
and clients pointed at a port where nothing listens. Every log record (at DEBUG, with its
traceback), every error text stored in the database and the reprs of the clients and settings are
then searched for every secret.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import aiohttp
import pytest

from bot.apiclient.http import SharedHttp
from bot.channels.messenger.api_server import GraphAPIServer
from bot.channels.messenger.client import GraphClient
from bot.channels.messenger.exceptions import MessengerError
from bot.channels.messenger.methods import SendMessage
from bot.channels.messenger.session import AiohttpGraphSession
from bot.channels.zalo import AiohttpSession, RetryPolicy, ZaloAPIServer, ZaloClient
from bot.channels.zalo.exceptions import ZaloError
from bot.channels.zalo.methods.oa import GetOA
from bot.logs import quiet_libraries
from bot.models import InboxEvent, OutboxMessage, SkippedSend
from bot.settings import Settings
from tests.bot.handlers.conftest import Bot
from tests.fakes.graph_api import FakeGraph
from tests.fakes.zalo_api import FakeZalo
from tests.helpers import wait_for

NOWHERE = "http://127.0.0.1:9"  # nothing listens there: connection refused


def _secrets(zalo: FakeZalo, fb: FakeGraph, settings: Settings) -> list[str]:
    found = [
        zalo.app_secret,
        zalo.oa_secret_key,
        *zalo.access_tokens,
        *zalo.refresh_tokens,
        fb.app_secret,
        fb.page_token,
        fb.verify_token,
        settings.SESSION_SECRET,
    ]
    return [s for s in found if s and len(s) >= 8]


def _texts(records: list[logging.LogRecord]) -> list[str]:
    out = []
    for record in records:
        out.append(record.getMessage())
        if record.exc_info:
            out.append("".join(traceback.format_exception(*record.exc_info)))
        if record.exc_text:
            out.append(record.exc_text)
    return out


async def _stored_errors() -> list[str]:
    texts: list[str] = []
    texts += [r or "" for r in await OutboxMessage.all().values_list("last_error", flat=True)]
    texts += [r or "" for r in await SkippedSend.all().values_list("reason", flat=True)]
    texts += [r or "" for r in await InboxEvent.all().values_list("error", flat=True)]
    return texts


async def test_no_secret_in_logs_errors_or_reprs(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    quiet_libraries(logging.DEBUG)  # what `serve` and `worker` do at LOG_LEVEL=DEBUG
    zalo, fb = bot.zalo, bot.fb
    settings = bot.runtime.settings
    zalo.add_user("u1", "Lan")
    fb.add_user("p1")
    errors: list[str] = []

    # Ordinary replies on both channels.
    assert await bot.zalo_says("u1", "menu")
    assert await bot.fb_says("p1", "menu")
    # The OA token expires: refreshed once, the reply still goes out.
    for token in list(zalo.access_tokens):
        zalo.expire_access_token(token)
    assert await bot.zalo_says("u1", "menu")
    # Platforms failing: error bodies and 5xx, kept and retried by the outbox.
    zalo.http_status_next(503, times=1)
    zalo.fail_next(-216, times=1)
    fb.http_status_next(500, times=1)
    fb.fail_next(190, times=1, message="Invalid OAuth access token - Cannot parse access token")
    await bot.zalo.deliver(bot.zalo_url, zalo.events.user_send_text("u1", "lỗi"))
    await bot.fb.deliver(bot.fb_url, fb.envelope(fb.message("p1", "lỗi")))
    await wait_for(lambda: OutboxMessage.filter(attempts__gte=1).exists(), what="a failed try")

    # The clients alone: a Page call that times out, and both at a dead port.
    http = SharedHttp()
    slow = GraphClient(
        AiohttpGraphSession(
            GraphAPIServer(fb.base_url), http=http, timeout=aiohttp.ClientTimeout(total=0.2)
        ),
        fb.page_token,
        app_secret=fb.app_secret,
        retry=RetryPolicy(attempts=1),
    )
    fb.delay_next(1.0)
    dead_fb = GraphClient(
        AiohttpGraphSession(GraphAPIServer(NOWHERE), http=http),
        fb.page_token,
        app_secret=fb.app_secret,
        retry=RetryPolicy(attempts=2, base=0.01),
    )
    dead_zalo = ZaloClient(
        AiohttpSession(ZaloAPIServer(NOWHERE, NOWHERE, NOWHERE, NOWHERE), http=http),
        app_secret=zalo.app_secret,
        retry=RetryPolicy(attempts=2, base=0.01),
    )
    calls: list[tuple[Any, Any]] = [
        (slow, SendMessage(recipient_id="p1", message={"text": "x"})),
        (dead_fb, SendMessage(recipient_id="p1", message={"text": "x"})),
        (dead_zalo, GetOA()),
    ]
    try:
        for client, method in calls:
            with pytest.raises((MessengerError, ZaloError)) as caught:
                await client(method)
            errors += [str(caught.value), repr(caught.value)]
            errors.append("".join(traceback.format_exception(caught.value)))
            logging.getLogger("tests.secrets").warning("call failed", exc_info=caught.value)
    finally:
        await http.close()

    runtime = bot.runtime
    reprs = [repr(c) for c in runtime.channels.values()]
    reprs += [repr(getattr(c, "client", None)) for c in runtime.channels.values()]
    reprs += [repr(getattr(c, "tokens", None)) for c in runtime.channels.values()]
    reprs += [repr(runtime.settings)]
    haystack = _texts(caplog.records) + errors + await _stored_errors() + reprs
    assert len(caplog.records) >= 10  # the scan saw the whole conversation
    for secret in _secrets(zalo, fb, settings):
        leaks = [text for text in haystack if secret in text]
        assert not leaks, f"a secret ({secret[:4]}…) leaked into: {leaks[0][:300]}"
