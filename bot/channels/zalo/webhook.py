"""`POST /webhooks/zalo`: verify, store, answer 200 at once (Zalo wants it within 2 s).

Order: a missing signature is refused before reading anything; the body is read within the
app's size limit (413 beyond); it must be a JSON object (400) because the MAC covers the
body's own `timestamp`; the MAC is checked over the exact bytes received (401, nothing
stored). A valid event is stored in the inbox (deduplicated there) and processed after the
response by the queue; unknown events are stored and acknowledged too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot import fastjson
from bot.appkeys import RUNTIME
from bot.channels.zalo.parser import parse_event, to_inbox_item
from bot.channels.zalo.types.events import UnknownEvent
from bot.pipeline.inbox import ingest

if TYPE_CHECKING:
    from bot.channels.zalo.channel import ZaloChannel

log = logging.getLogger("bot.channels.zalo.webhook")

PATH = "/webhooks/zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
_OK = b'{"ok": true}'  # what json_response({"ok": True}) sends, encoded once


def _error(status: int, code: str, detail: str) -> web.Response:
    return web.json_response({"ok": False, "error": code, "detail": detail}, status=status)


async def zalo_webhook(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    channel: ZaloChannel | None = runtime.channels.get("zalo")  # type: ignore[assignment]
    if channel is None:
        return _error(503, "unavailable", "the Zalo channel is not running")
    header = request.headers.get(SIGNATURE_HEADER)
    if not header:
        log.warning("zalo webhook refused: no %s header", SIGNATURE_HEADER)
        return _error(401, "bad_signature", f"missing {SIGNATURE_HEADER}")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        log.warning(
            "zalo webhook refused: body over %s bytes", channel.settings.WEBHOOK_MAX_BODY_BYTES
        )
        return _error(413, "too_large", "request body too large")
    try:
        body = fastjson.loads(raw)
    except ValueError:
        return _error(400, "bad_json", "body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "bad_json", "body must be a JSON object")
    event = parse_event(body)
    if not channel.verifier.verify(
        header,
        raw,
        timestamp=_text(body.get("timestamp")),
        app_id=_text(body.get("app_id")),
        oa_id=event.oa or "",
    ):
        log.warning("zalo webhook refused: bad signature (%s)", event.event_name or "?")
        return _error(401, "bad_signature", f"{SIGNATURE_HEADER} does not match")
    if isinstance(event, UnknownEvent):
        log.info("zalo event %r acknowledged without handling", event.event_name)
    await ingest(runtime, "zalo", [to_inbox_item(event, body, channel.account_for(event))])
    return web.Response(body=_OK, content_type="application/json")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def setup_webhook(app: web.Application) -> None:
    app.router.add_post(PATH, zalo_webhook)
