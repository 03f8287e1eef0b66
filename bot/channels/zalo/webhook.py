"""`POST /webhooks/zalo`: verify, store, answer 200 at once (Zalo wants it within 2 s).

Order: a missing signature is refused before reading anything; the body is read within the
app's size limit (413 beyond); it must be a JSON object (400) because the MAC covers the
body's own `timestamp`; the MAC is checked over the exact bytes received (401, nothing
stored, nothing from the body logged). Only then is the event parsed: a valid event is
stored in the inbox (deduplicated there) and handled after the response; unknown events
are stored and acknowledged too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot import fastjson
from bot.channels.zalo.mac import MacVerifier
from bot.channels.zalo.parser import parse_event, to_inbox_item
from bot.channels.zalo.types.events import UnknownEvent, WebhookEvent
from bot.contracts.inbox import Ingest

log = logging.getLogger("bot.channels.zalo.webhook")

PATH = "/webhooks/zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
_OK = b'{"ok": true}'  # what json_response({"ok": True}) sends, encoded once


def _error(status: int, code: str, detail: str) -> web.Response:
    return web.json_response({"ok": False, "error": code, "detail": detail}, status=status)


def _text(value: object) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value)


def mac_inputs(body: dict[str, Any]) -> tuple[str, str, list[str]]:
    """What the MAC covers besides the raw bytes, read without parsing the event: the
    timestamp, the app id, and the ids the OA may stand under (`oa_id`, or the recipient of
    a user's event, or the sender of the OA's own)."""
    oa_ids = [_text(body.get("oa_id"))]
    for side in ("recipient", "sender"):
        party = body.get(side)
        if isinstance(party, dict):
            oa_ids.append(_text(party.get("id")))
    return _text(body.get("timestamp")), _text(body.get("app_id")), [i for i in oa_ids if i]


class ZaloWebhook:
    """The route's view: the channel's verifier and OA matching, the process's ingest."""

    def __init__(
        self,
        ingest: Ingest,
        *,
        verifier: MacVerifier,
        account_for: Callable[[WebhookEvent], str],
        max_body: int,
    ) -> None:
        self.ingest = ingest
        self.verifier = verifier
        self.account_for = account_for
        self.max_body = max_body

    async def handle(self, request: web.Request) -> web.Response:
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            log.warning("zalo webhook refused: no %s header", SIGNATURE_HEADER)
            return _error(401, "bad_signature", f"missing {SIGNATURE_HEADER}")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("zalo webhook refused: body over %s bytes", self.max_body)
            return _error(413, "too_large", "request body too large")
        try:
            body = fastjson.loads(raw)
        except ValueError:
            return _error(400, "bad_json", "body is not valid JSON")
        if not isinstance(body, dict):
            return _error(400, "bad_json", "body must be a JSON object")
        timestamp, app_id, oa_ids = mac_inputs(body)
        verifier = self.verifier
        if not any(
            verifier.verify(header, raw, timestamp=timestamp, app_id=app_id, oa_id=oa_id)
            for oa_id in oa_ids or [""]
        ):
            log.warning("zalo webhook refused: bad signature (%d bytes)", len(raw))
            return _error(401, "bad_signature", f"{SIGNATURE_HEADER} does not match")
        event = parse_event(body)
        if isinstance(event, UnknownEvent):
            log.info("zalo event %r acknowledged without handling", event.event_name)
        item = to_inbox_item(event, body, self.account_for(event))
        await self.ingest.submit("zalo", [item])
        return web.Response(body=_OK, content_type="application/json")


def setup_webhook(
    app: web.Application,
    ingest: Ingest,
    *,
    verifier: MacVerifier,
    account_for: Callable[[WebhookEvent], str],
    max_body: int,
) -> None:
    view = ZaloWebhook(ingest, verifier=verifier, account_for=account_for, max_body=max_body)
    app.router.add_post(PATH, view.handle)
