"""Routes of the sandbox; all answer 404 while `settings.sandbox_enabled` is off.

They are registered whatever the setting (the app is built once), and each checks it per
request, so a disabled sandbox looks exactly like a route that does not exist.

| route | what |
|---|---|
| `GET /sandbox` | the chat page |
| `GET /sandbox/static/{name}` | its script and style sheet |
| `POST /sandbox/api/events` | `{channel, user: {id, name}, type, …}` → a signed webhook POST |
| `GET /sandbox/api/stream?channel=&user_id=&history=` | the replies, as server-sent events |
| `POST /sandbox/api/miniapp-session` | `{channel, user}` → a real `/api/v1` bearer token |
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from aiohttp import web

from bot.appkeys import CHANNELS as RUNNING_CHANNELS
from bot.appkeys import CONTENT, SETTINGS
from bot.sandbox import page
from bot.sandbox.feed import FeedError, feed
from bot.sandbox.inputs import CHANNELS, USER_ID, BadInput, parse_action, parse_user
from bot.sandbox.miniapp import open_session
from bot.sandbox.stream import STOPPING, stream
from bot.web.media import MEDIA
from bot.web.security import setup_security_headers

log = logging.getLogger("bot.sandbox")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css"}
HISTORY_DEFAULT = 20


def enabled(handler: Handler) -> Handler:
    """404 unless the sandbox is on (automatic: a channel without credentials)."""

    @wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        if not request.app[SETTINGS].sandbox_enabled:
            raise web.HTTPNotFound()
        return await handler(request)

    return guarded


def bad_request(detail: str, status: int = 400, code: str = "bad_request") -> web.Response:
    return web.json_response({"ok": False, "error": code, "detail": detail}, status=status)


async def read_json(request: web.Request) -> Any:
    """The JSON body; requiring the content type keeps other sites' plain form posts out."""
    if request.content_type != "application/json":
        raise BadInput("send Content-Type: application/json")
    try:
        return await request.json()
    except (ValueError, UnicodeDecodeError):
        raise BadInput("the body is not valid JSON") from None


@enabled
async def sandbox_page(request: web.Request) -> web.Response:
    app = request.app
    html = await page.render_page(app[CONTENT].current, app[RUNNING_CHANNELS], app[MEDIA])
    return web.Response(
        text=html, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"}
    )


@enabled
async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = page.STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in STATIC_TYPES:
        raise web.HTTPNotFound()
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(
        path,
        headers={"Content-Type": STATIC_TYPES[path.suffix], "Cache-Control": "no-cache"},
    )


@enabled
async def post_event(request: web.Request) -> web.Response:
    try:
        body = await read_json(request)
        user = parse_user(body)
        action = parse_action(body, user.channel)
    except BadInput as exc:
        return bad_request(str(exc))
    try:
        fed = await feed(request, user, action)
    except FeedError as exc:
        return bad_request(exc.detail, exc.status, exc.code)
    return web.json_response({"ok": True, "channel": user.channel, "event": fed.event})


@enabled
async def get_stream(request: web.Request) -> web.StreamResponse:
    query = request.query
    channel, user_id = query.get("channel", ""), query.get("user_id", "")
    if channel not in CHANNELS:
        return bad_request("channel must be 'zalo' or 'messenger'")
    if not USER_ID.match(user_id):
        return bad_request("user_id may contain only letters, digits, '-' and '_' (1..48)")
    raw_history = query.get("history", str(HISTORY_DEFAULT))
    if not raw_history.isdigit():
        return bad_request("history must be a number of messages (0..100)")
    running = request.app[RUNNING_CHANNELS].get(channel)
    if running is None:
        return bad_request(f"the {channel} channel is not running", 503, "channel_unavailable")
    account_id = running.account_id
    return await stream(request, channel, account_id, user_id, history=int(raw_history))


@enabled
async def post_miniapp_session(request: web.Request) -> web.Response:
    if not page.has_miniapp():
        return bad_request("the Mini App API is not part of this build", 503, "unavailable")
    try:
        user = parse_user(await read_json(request))
    except BadInput as exc:
        return bad_request(str(exc))
    app = request.app
    session = await open_session(app[SETTINGS], app[CONTENT].current, user)
    return web.json_response(
        {
            "ok": True,
            "token": session.token,
            "token_type": "Bearer",
            "expires_in": session.expires_in,
            "member_code": session.member_code,
        },
        status=201,
        headers={"Cache-Control": "no-store"},
    )


def setup_sandbox(app: web.Application) -> None:
    """Register the sandbox routes; they stay 404 unless `settings.sandbox_enabled`."""
    setup_security_headers(app)  # CSP without inline script, nosniff, frame-ancestors
    app[STOPPING] = asyncio.Event()

    async def stop_streams(app: web.Application) -> None:
        # Event streams never end on their own: release them so shutdown does not wait.
        app[STOPPING].set()

    app.on_shutdown.append(stop_streams)
    app.router.add_get("/sandbox", sandbox_page)
    app.router.add_get("/sandbox/", sandbox_page)
    app.router.add_get("/sandbox/static/{name}", static_file)
    app.router.add_post("/sandbox/api/events", post_event)
    app.router.add_get("/sandbox/api/stream", get_stream)
    app.router.add_post("/sandbox/api/miniapp-session", post_miniapp_session)
    if app[SETTINGS].sandbox_enabled:
        log.info("sandbox on: /sandbox")
