"""`FakeZalo`: one loopback aiohttp server playing openapi.zalo.me, oauth.zaloapp.com,
graph.zalo.me and business.openapi.zalo.me at once (their paths do not collide), plus the
state tests assert on and the knobs they turn.

Time comes from a fake clock (`now_ms()`, `advance()`), so windows and expiries are tested
without sleeping.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Literal

from aiohttp import web
from multidict import CIMultiDict

from tests.fakes.zalo import graph, oa, oauth, send, zns
from tests.fakes.zalo.events import Events
from tests.fakes.zalo.state import (
    ACCESS_TOKEN_TTL_S,
    AUTH_CODE_TTL_MS,
    E_RATE_LIMIT,
    E_TOKEN_EXPIRED,
    E_TOKEN_INVALID,
    REFRESH_TOKEN_TTL_MS,
    AccessToken,
    Attachment,
    FakeUser,
    Fault,
    PhoneCode,
    RecordedRequest,
    RefreshToken,
    SentMessage,
    ZnsMessage,
    err,
    new_id,
)
from tests.fakes.zalo.webhooks import Delivery, deliver, mac

VN_OFFSET_MS = 7 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeZalo:
    """The Zalo platforms, faithfully enough to catch wire-format and token-handling bugs."""

    def __init__(
        self,
        app_id: str = "app1",
        app_secret: str = "appsecret",
        oa_id: str = "oa1",
        oa_secret_key: str = "oasecret",
        *,
        oa_name: str = "Fake OA",
        mac_id: Literal["app_id", "oa_id"] = "app_id",
        mac_key: Literal["oa_secret_key", "app_secret"] = "oa_secret_key",
        cs_requires_follower: bool = False,
        zns_daily_quota: int = 500,
        echo_url: str | None = None,
    ) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.oa_id, self.oa_secret_key, self.oa_name = oa_id, oa_secret_key, oa_name
        # The webhook MAC formula is disputed (§1.2): these pick the variant `sign` uses.
        self.mac_id, self.mac_key = mac_id, mac_key
        # Whether a non-follower with a fresh interaction may get CS messages is not
        # documented; the default lets the 7-day window alone decide.
        self.cs_requires_follower = cs_requires_follower
        self.echo_url = echo_url  # when set, accepted sends are echoed as oa_send_* events
        self.latency = 0.0  # seconds added before every reply
        self.clock_offset_ms = 0

        self.users: dict[str, FakeUser] = {}
        self.user_messages: dict[str, str] = {}  # inbound msg_id -> user_id
        self.tags: set[str] = set()
        self.sent: list[SentMessage] = []
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self.attachments: dict[str, Attachment] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.auth_codes: dict[str, tuple[str | None, int]] = {}  # code -> (challenge, expiry)
        self.refresh_count = 0
        self.miniapp_tokens: dict[str, dict[str, Any]] = {}  # token -> {id, name, picture}
        self.phone_codes: dict[str, PhoneCode] = {}
        self.templates: dict[str, dict[str, int | None]] = {}  # id -> param -> max length
        # Templates approved on or after 2025-12-10 may also go by UID (outreach.md §2).
        self.uid_templates: set[str] = set()
        self.zns_sent: list[ZnsMessage] = []
        self.zns_daily_quota = zns_daily_quota
        self.uid_quota_type = "reward_quota"  # what UID answers say they drew on
        self.faults: list[Fault] = []
        self.events = Events(self)

        self.url = ""
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- lifecycle --------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._intercept(request, handler)

        app = web.Application(middlewares=[middleware], client_max_size=32 * 1024 * 1024)
        for module in (oauth, send, oa, graph, zns):
            app.add_routes(module.routes(self))
        return app

    async def start(self) -> str:
        """Listen on a free 127.0.0.1 port; returns the base URL (no trailing slash)."""
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def close(self) -> None:
        await self.settle()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def settle(self) -> None:
        """Wait for background echo deliveries still in flight."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def __aenter__(self) -> FakeZalo:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _intercept(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            RecordedRequest(
                request.method,
                request.path,
                dict(request.query),
                CIMultiDict(request.headers),
                body,
            )
        )
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = next((f for f in self.faults if f.matches(request.path)), None)
        if fault is not None:
            fault.times -= 1
            if fault.status is not None:
                return web.Response(status=fault.status, text="injected failure")
            return err(fault.error_code or -1, "Injected failure")
        return await handler(request)

    # --- clock --------------------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    def zns_used_today(self) -> int:
        """Template sends (both routes) on the current day, Vietnam time: the daily quota
        refills at 00:00 there (our reading; `advance` past midnight to see it refill)."""
        day = (self.now_ms() + VN_OFFSET_MS) // DAY_MS
        return sum(1 for m in self.zns_sent if (m.sent_time + VN_OFFSET_MS) // DAY_MS == day)

    def advance(self, seconds: float) -> None:
        """Move the fake clock forward (tokens, windows, uploads and phone codes age)."""
        self.clock_offset_ms += int(seconds * 1000)

    # --- users ----------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str | None = None,
        name: str = "Người dùng",
        *,
        user_id_by_app: str | None = None,
        is_follower: bool = True,
        last_interaction: int | None = None,
        blocked: bool = False,
        restricted: bool = False,
        avatar: str | None = None,
    ) -> FakeUser:
        """Register a user; `last_interaction` is epoch ms on the fake clock (default now)."""
        user_id = user_id or new_id()
        user = FakeUser(
            user_id=user_id,
            display_name=name,
            user_id_by_app=user_id_by_app or new_id(18),
            is_follower=is_follower,
            last_interaction=self.now_ms() if last_interaction is None else last_interaction,
            blocked=blocked,
            restricted=restricted,
            avatar=avatar or f"https://s120-ava-talk.zadn.vn/{user_id}.jpg",
        )
        self.users[user_id] = user
        return user

    def touch(self, user_id: str, at: int | None = None) -> None:
        """Record an interaction (message, follow, chat-now...) that opens the CS window."""
        self.users[user_id].last_interaction = self.now_ms() if at is None else at

    def sent_to(self, user_id: str) -> list[SentMessage]:
        return [m for m in self.sent if m.user_id == user_id]

    # --- OA tokens ----------------------------------------------------------------------------
    def issue_tokens(self) -> tuple[str, str]:
        """A fresh valid (access, refresh) pair, as the API Explorer would hand out."""
        access = secrets.token_urlsafe(48)
        refresh = secrets.token_urlsafe(48)
        now = self.now_ms()
        self.access_tokens[access] = AccessToken(access, now + ACCESS_TOKEN_TTL_S * 1000)
        self.refresh_tokens[refresh] = RefreshToken(refresh, now + REFRESH_TOKEN_TTL_MS, access)
        return access, refresh

    def expire_access_token(self, token: str) -> None:
        self.access_tokens[token].expired = True

    def issue_auth_code(self, code_challenge: str | None = None) -> str:
        """What the consent redirect would carry as `?code=`."""
        code = secrets.token_urlsafe(32)
        self.auth_codes[code] = (code_challenge, self.now_ms() + AUTH_CODE_TTL_MS)
        return code

    def check_access_token(self, token: str | None) -> web.Response | None:
        """None when usable, else the OA error reply (-216 unknown, -220 expired/rotated)."""
        record = self.access_tokens.get(token or "")
        if record is None:
            return err(E_TOKEN_INVALID, "Access token is invalid")
        if record.expired or record.revoked or record.expires <= self.now_ms():
            return err(E_TOKEN_EXPIRED, "Access token is expired or removed")
        return None

    # --- uploads ----------------------------------------------------------------------------
    def expire_attachment(self, attachment_id: str) -> None:
        """Make an upload id/token answer -100, as it would 7 days later."""
        self.attachments[attachment_id].expired = True

    # --- Mini App -----------------------------------------------------------------------------
    def miniapp_login(self, user_id: str, name: str = "Người dùng", picture: str = "") -> str:
        """A Mini App access token whose Graph `/me` answers `id=user_id` (App-scoped id)."""
        token = secrets.token_urlsafe(32)
        url = picture or f"https://s120-ava-talk.zadn.vn/{user_id}.jpg"
        self.miniapp_tokens[token] = {"id": user_id, "name": name, "picture": url}
        return token

    def phone_token(self, access_token: str, phone: str) -> str:
        """What `getPhoneNumber()` gives the Mini App: single use, 120 s, bound to the token."""
        code = secrets.token_urlsafe(24)
        self.phone_codes[code] = PhoneCode(code, access_token, phone, self.now_ms())
        return code

    # --- ZNS --------------------------------------------------------------------------------
    def add_template(
        self,
        template_id: str,
        params: Iterable[str] | Mapping[str, int],
        *,
        by_uid: bool = False,
    ) -> None:
        """Register an approved template; a mapping gives each param's max length (-1121);
        `by_uid`: also sendable by Zalo user id."""
        if by_uid:
            self.uid_templates.add(template_id)
        if isinstance(params, Mapping):
            self.templates[template_id] = dict(params)
        else:
            self.templates[template_id] = dict.fromkeys(params)

    # --- fault injection ----------------------------------------------------------------------
    def fail_next(self, error_code: int, times: int = 1, path: str | None = None) -> None:
        """The next `times` calls (to `path`, or any) get HTTP 200 {"error": error_code}."""
        self.faults.append(Fault(times=times, path=path, error_code=error_code))

    def http_status_next(self, status: int = 503, times: int = 1, path: str | None = None) -> None:
        self.faults.append(Fault(times=times, path=path, status=status))

    def rate_limit(self, times: int = 1, path: str | None = None) -> None:
        """-32: the app exceeded its per-minute request budget."""
        self.fail_next(E_RATE_LIMIT, times=times, path=path)

    # --- webhooks (the other direction) ------------------------------------------------------
    def sign(
        self, raw: bytes, timestamp: str, app_id: str | None = None, key: str | None = None
    ) -> str:
        """`mac=<hex>` for these exact bytes, using the configured MAC variant by default."""
        first = (
            app_id
            if app_id is not None
            else (self.app_id if self.mac_id == "app_id" else self.oa_id)
        )
        secret = (
            key
            if key is not None
            else (self.oa_secret_key if self.mac_key == "oa_secret_key" else self.app_secret)
        )
        return "mac=" + mac(raw, timestamp, first, secret)

    async def deliver(
        self,
        url: str,
        event: dict[str, Any] | bytes,
        *,
        bad_signature: bool = False,
        times: int = 1,
        concurrently: bool = False,
        signature: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> list[int]:
        """POST the identical signed body `times` times; returns the HTTP statuses."""
        return await deliver(
            self,
            url,
            event,
            bad_signature=bad_signature,
            times=times,
            concurrently=concurrently,
            signature=signature,
            extra_headers=extra_headers,
        )

    def echo(self, item: SentMessage) -> None:
        """Schedule the oa_send_* echo of an accepted send, when an echo URL is configured."""
        if not self.echo_url:
            return
        task = asyncio.create_task(self.deliver(self.echo_url, self.events.echo_of(item)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
