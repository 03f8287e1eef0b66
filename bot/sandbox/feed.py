"""Sign a sandbox event like the platform would and POST it to the app's own webhook.

Going through HTTP (not calling the handler) is the point: the signature check, the size
limit, the inbox dedupe and the queue all run as they do for Zalo and Meta. The request goes
to the socket this very request arrived on, so it stays on this machine whatever the public
host name is, and works on the random ports tests use.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from bot.appkeys import CHANNELS, HTTP
from bot.channels.messenger.signature import HEADER as FB_HEADER
from bot.channels.messenger.signature import sign as fb_sign
from bot.channels.zalo.mac import PREFIX as MAC_PREFIX
from bot.channels.zalo.mac import compute_mac
from bot.sandbox import events
from bot.sandbox.inputs import Action, TestUser

if TYPE_CHECKING:
    from bot.channels.messenger.channel import MessengerChannel
    from bot.channels.zalo.channel import ZaloChannel

log = logging.getLogger("bot.sandbox.feed")

ZALO_PATH = "/webhooks/zalo"
MESSENGER_PATH = "/webhooks/messenger"
ZALO_HEADER = "X-ZEvent-Signature"
SANDBOX_APP_ID = "sandbox-app"


class FeedError(Exception):
    """The event could not be delivered to the webhook (channel missing, no key, refused)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Signed:
    path: str
    raw: bytes
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Fed:
    status: int
    event: dict[str, Any]


def sign_zalo(channel: ZaloChannel, user: TestUser, action: Action, ts: int) -> Signed:
    """`X-ZEvent-Signature: mac=sha256(id + raw + timestamp + key)` with the verifier's own
    variant (configured id and key, or the body's app_id and SANDBOX_SECRET)."""
    verifier = channel.verifier
    if not verifier.key:
        raise FeedError(503, "no_key", "the Zalo webhook has no key to sign with")
    app_id = channel.settings.ZALO_APP_ID or SANDBOX_APP_ID
    oa_id = channel.account_id
    body = events.zalo_body(user, action, app_id=app_id, oa_id=oa_id, ts=ts)
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    first = verifier.fixed_id or (oa_id if verifier.id_field == "oa_id" else app_id)
    mac = compute_mac(first, raw, body["timestamp"], verifier.key)
    return Signed(ZALO_PATH, raw, {ZALO_HEADER: MAC_PREFIX + mac}, body)


def sign_messenger(channel: MessengerChannel, user: TestUser, action: Action, ts: int) -> Signed:
    """`X-Hub-Signature-256` over an ASCII-escaped body, as Meta sends it."""
    key = channel.webhook_key
    if not key:
        raise FeedError(503, "no_key", "the Messenger webhook has no key to sign with")
    page_id = channel.account_id
    item = events.messenger_item(user, action, page_id=page_id, ts=ts)
    envelope = events.messenger_envelope(item, page_id=page_id, ts=ts)
    raw = json.dumps(envelope, ensure_ascii=True, separators=(",", ":")).encode()
    return Signed(MESSENGER_PATH, raw, {FB_HEADER: fb_sign(key, raw)}, envelope)


def own_base_url(request: web.Request) -> str:
    """`http://<local address>:<port>` of the socket this request came in on."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        host, port = str(sockname[0]), int(sockname[1])
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"
    return str(request.url.origin())


async def feed(request: web.Request, user: TestUser, action: Action) -> Fed:
    """Build, sign and POST one event; the webhook's refusal becomes a FeedError."""
    channel = request.app[CHANNELS].get(user.channel)
    if channel is None:
        raise FeedError(503, "channel_unavailable", f"the {user.channel} channel is not running")
    ts = events.now_ms()
    if user.channel == "zalo":
        signed = sign_zalo(channel, user, action, ts)  # type: ignore[arg-type]
    else:
        signed = sign_messenger(channel, user, action, ts)  # type: ignore[arg-type]
    url = own_base_url(request) + signed.path
    headers = {"Content-Type": "application/json", **signed.headers}
    try:
        async with request.app[HTTP].session().post(url, data=signed.raw, headers=headers) as resp:
            status, text = resp.status, await resp.text()
    except aiohttp.ClientError as exc:
        log.warning("sandbox: webhook %s unreachable: %s", url, exc)
        raise FeedError(502, "webhook_unreachable", str(exc) or type(exc).__name__) from None
    if status != 200:
        log.warning("sandbox: webhook %s answered %s: %s", signed.path, status, text[:200])
        raise FeedError(502, "webhook_refused", f"{signed.path} answered {status}: {text[:200]}")
    return Fed(status=status, event=signed.body)
