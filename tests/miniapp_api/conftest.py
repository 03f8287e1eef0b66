"""The whole app over real HTTP against the fake Zalo Graph, with a real database (and Redis
when TEST_REDIS_URL is set). `Api` signs Mini App users in and calls routes like a client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bot.app import build_app
from bot.settings import Settings
from tests.fakes.zalo_api import FakeZalo

ADMIN_KEY = "test-admin-key"
PROBLEM = "application/problem+json"


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo(app_secret="miniapp-secret") as fake:
        yield fake


@pytest.fixture
def api_settings(
    make_settings: Callable[..., Settings], zalo: FakeZalo, redis_url: str, clean_db: str
) -> Callable[..., Settings]:
    """Settings pointing at the fake Graph; the database is emptied first."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "ZALO_GRAPH_URL": zalo.url,
            "ZALO_APP_SECRET": zalo.app_secret,
            "ADMIN_API_KEY": ADMIN_KEY,
            "REDIS_URL": redis_url,
            "MINIAPP_ORIGINS": "https://h5.zdn.vn",
        }
        values.update(overrides)
        return make_settings(**values)

    return factory


class Api:
    """A Mini App client and a POS client over one test client."""

    def __init__(self, client: TestClient, zalo: FakeZalo, settings: Settings) -> None:
        self.client = client
        self.zalo = zalo
        self.settings = settings

    async def login(self, user_id: str = "1001", name: str = "Lan") -> tuple[str, str]:
        """(session token, Zalo access token) for a Mini App user."""
        zalo_token = self.zalo.miniapp_login(user_id, name)
        resp = await self.client.post("/api/v1/session", json={"access_token": zalo_token})
        assert resp.status == 201, await resp.text()
        return (await resp.json())["token"], zalo_token

    async def me(self, method: str, path: str, token: str, **kw: Any) -> ClientResponse:
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kw)

    async def admin(self, method: str, path: str, **kw: Any) -> ClientResponse:
        headers = {"X-Api-Key": ADMIN_KEY, **kw.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kw)

    async def order(self, order_id: str, amount: int, **who: Any) -> ClientResponse:
        body = {"order_id": order_id, "amount": amount, **who}
        return await self.admin("POST", "/api/v1/admin/orders", json=body)

    async def card(self, token: str) -> dict[str, Any]:
        resp = await self.me("GET", "/api/v1/me/card", token)
        assert resp.status == 200, await resp.text()
        return await resp.json()


@pytest.fixture
def start_api(
    aiohttp_client: Any, api_settings: Callable[..., Settings], zalo: FakeZalo
) -> Callable[..., Any]:
    async def start(**overrides: Any) -> Api:
        settings = api_settings(**overrides)
        client = await aiohttp_client(build_app(settings))
        return Api(client, zalo, settings)

    return start


@pytest.fixture
async def api(start_api: Callable[..., Any]) -> Api:
    return await start_api()


async def problem(resp: ClientResponse, status: int, code: str) -> dict[str, Any]:
    """Assert a problem+json answer and return its body."""
    text = await resp.text()
    assert resp.status == status, text
    assert resp.content_type == PROBLEM, text
    body = await resp.json(content_type=PROBLEM)
    assert body["code"] == code, body
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


def edit_content(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Change the test's private copy of the content file before the app starts."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def game_of(data: dict[str, Any], game_id: str) -> dict[str, Any]:
    return next(g for g in data["games"] if g["id"] == game_id)
