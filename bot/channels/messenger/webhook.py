"""`GET|POST /webhooks/messenger`: the handshake, and verify → split → store → 200.

The POST does no handler work: it checks the signature on the raw bytes, cuts the envelope
into one inbox item per `messaging`/`standby` object (every entry, every item), stores them
through the pipeline (dedupe + durable queue) and answers at once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from bot import fastjson
from bot.channels.messenger.signature import HEADER, signature_ok
from bot.channels.messenger.types import ID_MAX, MILLIS_MAX, TEXT_MAX, MessagingItem
from bot.contracts.inbox import InboxItem, Ingest

log = logging.getLogger("bot.channels.messenger.webhook")

PATH = "/webhooks/messenger"
KEY_MAX = 191  # inbox_event.dedupe_key


class MessengerWebhook:
    """The routes' views: the Page's secrets and ids, the process's ingest.

    `verify_token`: the handshake's; `key`: the HMAC key of `X-Hub-Signature-256`;
    `only_page`: entries for other Pages (one app, several Pages) are not ours.
    """

    def __init__(
        self,
        ingest: Ingest,
        *,
        verify_token: str,
        key: str,
        account_id: str,
        only_page: str | None,
    ) -> None:
        self.ingest = ingest
        self.verify_token = verify_token
        self.key = key
        self.account_id = account_id
        self.only_page = only_page

    async def handshake(self, request: web.Request) -> web.Response:
        """Meta's subscription check: echo `hub.challenge` only for our verify token."""
        expected = self.verify_token
        token = request.query.get("hub.verify_token", "")
        mode_ok = request.query.get("hub.mode") == "subscribe"
        token_ok = bool(expected) and hmac.compare_digest(token.encode(), expected.encode())
        if not (mode_ok and token_ok):
            log.warning("messenger webhook handshake refused (mode or verify token wrong)")
            raise web.HTTPForbidden(text="forbidden")
        return web.Response(text=request.query.get("hub.challenge", ""), content_type="text/plain")

    async def receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if not signature_ok(self.key, raw, request.headers.get(HEADER)):
            log.warning("messenger webhook: missing or wrong %s, ignored", HEADER)
            raise web.HTTPForbidden(text="bad signature")
        try:
            envelope = fastjson.loads(raw)
        except ValueError:
            raise web.HTTPBadRequest(text="body is not JSON") from None
        if not isinstance(envelope, dict):
            raise web.HTTPBadRequest(text="body is not a JSON object")
        if envelope.get("object") != "page":
            log.info("messenger webhook: object %r ignored", str(envelope.get("object"))[:32])
            return web.Response(text="IGNORED")
        items = split_envelope(envelope, self.account_id, only_page=self.only_page)
        new = await self.ingest.submit("messenger", items)
        log.debug("messenger webhook: %d item(s), %d new", len(items), new)
        return web.Response(text="EVENT_RECEIVED")


def split_envelope(
    envelope: dict[str, Any], account_id: str, *, only_page: str | None = None
) -> list[InboxItem]:
    """Every entry and every item, in order; items we cannot use are logged and dropped."""
    items: list[InboxItem] = []
    entries = envelope.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        page = str(entry.get("id") or "")
        if only_page and page != only_page:
            log.warning("messenger webhook: entry for page %r is not ours, ignored", page)
            continue
        for key in ("messaging", "standby"):
            objects = entry.get(key)
            for raw_item in objects if isinstance(objects, list) else []:
                item = _inbox_item(raw_item, account_id, standby=key == "standby")
                if item is not None:
                    items.append(item)
    return items


def _inbox_item(raw: Any, account_id: str, *, standby: bool) -> InboxItem | None:
    if not isinstance(raw, dict):
        return None
    plain = _plain_message(raw)
    if plain is None:
        return _validated_item(raw, account_id, standby=standby)
    psid, mid = plain
    name = "standby:message" if standby else "message"
    return InboxItem(
        account_id=account_id,
        user_id=psid,
        dedupe_key=_bounded(f"{name}:{mid}", name),
        event_name=name,
        body={"kind": "message", "standby": standby, "item": raw},
    )


# A plain text message, the bulk of any burst: exactly these keys and types, nothing else.
_PLAIN_ITEM = frozenset({"sender", "recipient", "timestamp", "message"})
_PLAIN_PARTY = frozenset({"id"})
_PLAIN_MESSAGE = frozenset({"mid", "text"})


def _plain_message(raw: dict[str, Any]) -> tuple[str, str] | None:
    """`(psid, mid)` of a plain text message, read without the pydantic model.

    Validating the whole item was a tenth of the webhook's CPU. This accepts only the shape
    `MessagingItem` is sure to accept with the same result (string ids and mid within their
    length limits, an integer timestamp, text within its limit, no other keys); anything
    else (echoes, attachments, quick replies, numeric ids, receipts, postbacks) returns
    None and goes through the model as before.
    """
    message = raw.get("message")
    sender = raw.get("sender")
    recipient = raw.get("recipient", {})
    stamp = raw.get("timestamp", 0)
    if not (
        type(message) is dict
        and type(sender) is dict
        and type(recipient) is dict
        and type(stamp) is int
        and raw.keys() <= _PLAIN_ITEM
        and message.keys() <= _PLAIN_MESSAGE
        and sender.keys() <= _PLAIN_PARTY
        and recipient.keys() <= _PLAIN_PARTY
    ):
        return None
    if not 0 <= stamp <= MILLIS_MAX:
        return None  # the model decides (and refuses it)
    psid, mid = sender.get("id"), message.get("mid")
    text, page = message.get("text", ""), recipient.get("id", "")
    for value, limit in ((psid, ID_MAX), (mid, ID_MAX), (page, ID_MAX), (text, TEXT_MAX)):
        if type(value) is not str or len(value) > limit:
            return None
    if not psid or not mid:
        return None
    return psid, mid


def _validated_item(raw: dict[str, Any], account_id: str, *, standby: bool) -> InboxItem | None:
    """Any item, through the full payload model; unreadable ones are logged and dropped."""
    try:
        parsed = MessagingItem.model_validate(raw)
    except ValidationError as exc:
        log.warning("messenger webhook: unreadable item dropped: %s", exc.errors()[:3])
        return None
    user_id = parsed.user_id
    if not user_id:
        # Chat-plugin guests (`user_ref`) and page-only events have no PSID to talk to.
        log.info("messenger webhook: %s item without a PSID ignored", parsed.kind)
        return None
    kind = parsed.kind
    name = f"standby:{kind}" if standby else kind
    return InboxItem(
        account_id=account_id,
        user_id=user_id,
        dedupe_key=dedupe_key(parsed, name, raw),
        event_name=name,
        body={"kind": kind, "standby": standby, "item": raw},
    )


def dedupe_key(item: MessagingItem, name: str, raw: dict[str, Any] | None = None) -> str:
    """The platform id where there is one (`mid`), else PSID + kind + timestamp; events of
    no kind we know (`other`) also name the keys they carry, so a `message_request` and a
    `policy_enforcement` of one moment stay two events."""
    psid, ts = item.user_id, item.timestamp
    if item.message is not None and item.message.mid:
        key = f"{name}:{item.message.mid}"
    elif item.postback is not None and item.postback.mid:
        key = f"{name}:{item.postback.mid}"
    elif item.reaction is not None:
        key = f"{name}:{psid}:{item.reaction.mid}:{item.reaction.action}:{ts}"
    elif item.delivery is not None:
        key = f"{name}:{psid}:{item.delivery.watermark}:{','.join(item.delivery.mids)}"
    elif item.read is not None:
        key = f"{name}:{psid}:{item.read.watermark}"
    elif item.message_edit is not None:
        key = f"{name}:{item.message_edit.mid}:{item.message_edit.num_edit}"
    elif item.kind == "other":
        keys = "+".join(sorted(k for k in raw or {} if k not in _ENVELOPE_KEYS))
        key = f"{name}:{keys}:{psid}:{ts}"
    else:
        key = f"{name}:{psid}:{ts}"
    return _bounded(key, name)


_ENVELOPE_KEYS = frozenset({"sender", "recipient", "timestamp"})


def _bounded(key: str, name: str) -> str:
    """Keys longer than the column are replaced by a hash (still unique per event)."""
    if len(key) > KEY_MAX:
        return f"{name}:h:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def setup_webhook_routes(app: web.Application, views: MessengerWebhook) -> None:
    app.router.add_get(PATH, views.handshake)
    app.router.add_post(PATH, views.receive)
