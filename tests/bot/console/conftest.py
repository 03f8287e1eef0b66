"""The whole app over real HTTP with console users of every role, and a browser-like client
that signs in through the login form (CSRF cookie and field, session cookie)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bot.app import build_app
from bot.console.accounts import hash_password
from bot.models import ConsoleUser
from bot.settings import Settings

PASSWORD = "mat-khau-dung-1"
USERS = {
    "owner": "chu@shop.vn",
    "manager": "quanly@shop.vn",
    "staff": "thungan@shop.vn",
}
ADMIN_KEY = "test-admin-key"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_META = re.compile(r'name="csrf-token" content="([^"]*)"')


@functools.cache
def _hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per test run


def csrf_in(html: str) -> str:
    found = _CSRF.search(html) or _META.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


class Console:
    """One browser: a cookie jar, a signed-in user, the session's CSRF token."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.csrf = ""

    async def sign_in(
        self, email: str, password: str = PASSWORD, *, expect: int = 303
    ) -> ClientResponse:
        self.client.session.cookie_jar.clear()
        page = await self.client.get("/admin/login")
        assert page.status == 200
        token = csrf_in(await page.text())
        resp = await self.client.post(
            "/admin/login",
            data={"email": email, "password": password, "csrf": token, "next": "/admin"},
            allow_redirects=False,
        )
        assert resp.status == expect, await resp.text()
        if expect == 303:
            self.csrf = await self.page_csrf("/admin/till")
        return resp

    async def as_role(self, role: str) -> None:
        await self.sign_in(USERS[role])

    async def page_csrf(self, path: str) -> str:
        resp = await self.client.get(path, allow_redirects=False)
        assert resp.status == 200, (path, resp.status)
        return csrf_in(await resp.text())

    async def get(self, path: str) -> ClientResponse:
        return await self.client.get(path, allow_redirects=False)

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True
    ) -> ClientResponse:
        form = {**(data or {}), **({"csrf": self.csrf} if csrf else {})}
        return await self.client.post(path, data=form, allow_redirects=False)

    async def api(self, method: str, path: str, *, csrf: bool = True, **kw: Any) -> ClientResponse:
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return await self.client.request(method, path, headers=headers, **kw)


@pytest.fixture
def start_console(
    aiohttp_client: Any, make_settings: Callable[..., Settings], redis_url: str, clean_db: str
) -> Callable[..., Any]:
    async def start(**overrides: Any) -> Console:
        values: dict[str, Any] = {"ADMIN_API_KEY": ADMIN_KEY, "REDIS_URL": redis_url}
        values.update(overrides)
        settings = make_settings(**values)
        client = await aiohttp_client(build_app(settings))
        for role, email in USERS.items():
            await ConsoleUser.create(email=email, role=role, password_hash=_hash())
        return Console(client, settings)

    return start


@pytest.fixture
async def console(start_console: Callable[..., Any]) -> Console:
    return await start_console()
