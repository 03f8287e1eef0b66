"""`FakeGraph`: the Graph API fake on loopback HTTP, plus the webhook driver.

One aiohttp app with a catch-all route: parse the Graph call (any `/vN.N/` prefix, JSON, form
or multipart params), apply queued faults, authenticate the Page token (and
`appsecret_proof`), then dispatch on `(method, edge)`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from .errors import GraphError, bad_param, unsupported
from .handlers import GraphHandlers
from .state import DAY, Call, RecordedRequest, Sent
from .webhooks import WebhookDriver

PATH = re.compile(r"^/(v\d+\.\d+)/([^/]+)(?:/([^/]+))?/?$")
Handler = Callable[[Call], Awaitable[dict[str, Any]]]


def _decode(value: str) -> Any:
    """Form and query values may hold JSON (`recipient={"id":"1"}`)."""
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeGraph(GraphHandlers, WebhookDriver):
    """A Page's view of graph.facebook.com; see tests/fakes/graph/__init__.py for usage."""

    def __init__(
        self,
        page_id: str = "page1",
        page_token: str = "PAGE_TOKEN",
        app_secret: str = "fbsecret",
        verify_token: str = "verify-me",
        *,
        app_id: str = "1000000000001",
        page_name: str = "Fake Page",
        require_appsecret_proof: bool = False,
        menu_item_cap: int = 20,
        profile_rate_limit: int | None = None,
        profile_rate_window: float = 600.0,
        profile_rate_code: int = 613,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.page_id = page_id
        self.page_token = page_token
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.app_id = app_id
        self.tokens: dict[str, str] = {page_token: page_id}  # token -> page id
        self.page_names = {page_id: page_name}
        self.require_appsecret_proof = require_appsecret_proof
        self.menu_item_cap = menu_item_cap
        self.profile_rate_limit = profile_rate_limit
        self.profile_rate_window = profile_rate_window
        self.profile_rate_code = profile_rate_code
        self.attachment_ttl = 90 * DAY
        self.webhook_url: str | None = None
        self.emit_echoes = False
        self.emit_deliveries = False
        self._init_state(clock)
        self._init_handlers()
        self._init_driver()
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.router.add_route("*", "/{tail:.*}", self._handle)
        self._routes: dict[tuple[str, str], Handler] = {("POST", "messages"): self.api_send}
        self._routes[("POST", "message_attachments")] = self.api_upload
        for method in ("GET", "POST", "DELETE"):
            self._routes[(method, "messenger_profile")] = self.api_profile
            self._routes[(method, "custom_user_settings")] = self.api_custom_user_settings
            self._routes[(method, "subscribed_apps")] = self.api_subscribed_apps
        for edge in ("pass_thread_control", "take_thread_control", "request_thread_control"):
            self._routes[("POST", edge)] = self.api_thread_control

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> str:
        """Listen on a free loopback port; returns the base URL (no version)."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def close(self) -> None:
        await self.drain()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeGraph:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def url(self, path: str = "", version: str = "v25.0") -> str:
        """`url("me/messages")` -> http://127.0.0.1:PORT/v25.0/me/messages."""
        return f"{self.base_url}/{version}/{path.lstrip('/')}"

    # -- pages, tokens, webhooks -----------------------------------------------------------
    def add_page(self, page_id: str, token: str, name: str = "") -> None:
        self.tokens[token] = page_id
        self.page_names[page_id] = name

    def revoke_token(self, token: str) -> None:
        """From now on the token answers 190, like an expired or revoked Page token."""
        self.tokens.pop(token, None)

    def appsecret_proof(self, token: str | None = None) -> str:
        key = self.app_secret.encode()
        return hmac.new(key, (token or self.page_token).encode(), hashlib.sha256).hexdigest()

    def auto_webhooks(self, url: str, *, echoes: bool = True, deliveries: bool = False) -> None:
        """After each accepted message, post its echo (and a delivery receipt) to `url`."""
        self.webhook_url, self.emit_echoes, self.emit_deliveries = url, echoes, deliveries

    def _inbound_seen(self, psid: str) -> None:
        self.touch(psid)

    def _after_send(self, sent: Sent) -> None:
        if self.webhook_url is None or sent.psid is None or sent.message_id is None:
            return
        message = sent.body["message"]
        items = []
        if self.emit_echoes:
            attachment = message.get("attachment")
            items.append(
                self.echo(
                    sent.psid,
                    message.get("text"),
                    attachments=[attachment] if attachment else None,
                    metadata=message.get("metadata"),
                    mid=sent.message_id,
                )
            )
        if self.emit_deliveries:
            items.append(self.delivery(sent.psid, [sent.message_id]))
        if items:
            self._spawn(self.deliver(self.webhook_url, self.envelope(*items)))

    # -- HTTP ------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        multipart = request.content_type.startswith("multipart/")
        raw = b"" if multipart else await request.read()
        record = RecordedRequest(
            request.method, request.path, dict(request.query), dict(request.headers), raw
        )
        self.requests.append(record)
        try:
            response = await self._answer(request, raw, record)
        except GraphError as error:
            response = error.response()
        record.status = response.status
        return response

    async def _answer(
        self, request: web.Request, raw: bytes, record: RecordedRequest
    ) -> web.Response:
        delay, fault = self.take_faults(request.path)
        if self.latency + delay > 0:
            await asyncio.sleep(self.latency + delay)
        if fault is not None:
            raise fault
        match = PATH.match(request.path)
        if match is None:
            # Real Graph would fall back to the app's default version; the bot must pin one.
            raise unsupported(request.method, request.path)
        version, node, edge = match.groups()
        params, files = await self._params(request, raw)
        record.params = params
        call = Call(request.method, version, node, edge, params, files)
        call.token, call.page_id = self._authenticate(request, params)
        if edge is None:
            if request.method != "GET":
                raise unsupported(request.method, node)
            return web.json_response(await self.api_node(call))
        handler = self._routes.get((request.method, edge))
        if node not in ("me", call.page_id) or handler is None:
            raise unsupported(request.method, node)
        return web.json_response(await handler(call))

    async def _params(
        self, request: web.Request, raw: bytes
    ) -> tuple[dict[str, Any], dict[str, tuple[str, str | None, bytes]]]:
        """Query + body parameters, body winning; form/query values may be JSON strings."""
        params: dict[str, Any] = {k: _decode(v) for k, v in request.query.items()}
        files: dict[str, tuple[str, str | None, bytes]] = {}
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.content_type, value.file.read())
                else:
                    params[key] = _decode(str(value))
        elif ctype == "application/x-www-form-urlencoded":
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
            params.update((k, _decode(v)) for k, v in pairs)
        elif raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise bad_param("request body is not valid JSON") from exc
            if not isinstance(body, dict):
                raise bad_param("request body must be a JSON object")
            params.update(body)
        return params, files

    def _authenticate(self, request: web.Request, params: dict[str, Any]) -> tuple[str, str]:
        """Page token from `access_token` or `Authorization: Bearer`, plus appsecret_proof."""
        token = params.pop("access_token", None)
        proof = params.pop("appsecret_proof", None)
        params.pop("appsecret_time", None)  # newer proof variant; not modelled
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if not token and scheme.lower() in ("bearer", "oauth"):
            token = credentials.strip()
        if not token:
            raise GraphError(104)
        page_id = self.tokens.get(str(token))
        if page_id is None:
            raise GraphError(190)
        if proof is None:
            if self.require_appsecret_proof:
                raise GraphError(
                    100,
                    "API calls from the server require an appsecret_proof argument",
                    type_="GraphMethodException",
                )
        elif not hmac.compare_digest(str(proof).lower(), self.appsecret_proof(str(token))):
            raise GraphError(
                100,
                "Invalid appsecret_proof provided in the API argument",
                type_="GraphMethodException",
            )
        return str(token), page_id
