"""`/sandbox` is served while a channel lacks credentials (or when forced on), and every
sandbox route is a plain 404 when it is off."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.settings import Settings
from tests.bot.sandbox.conftest import Sandbox, running

SANDBOX_ROUTES = [
    ("GET", "/sandbox"),
    ("GET", "/sandbox/"),
    ("GET", "/sandbox/static/sandbox.js"),
    ("GET", "/sandbox/static/sandbox.css"),
    ("POST", "/sandbox/api/events"),
    ("GET", "/sandbox/api/stream?channel=zalo&user_id=u1"),
    ("POST", "/sandbox/api/miniapp-session"),
]

BOTH_CONFIGURED = {
    "ZALO_APP_ID": "1234",
    "ZALO_OA_ID": "5678",
    "ZALO_OA_SECRET_KEY": "oa-secret",
    "ZALO_OA_ACCESS_TOKEN": "access",
    "ZALO_OA_REFRESH_TOKEN": "refresh",
    "FB_APP_SECRET": "fb-secret",
    "FB_PAGE_ID": "999",
    "FB_PAGE_ACCESS_TOKEN": "page-token",
    # Nothing is sent in these tests; the bases point at a closed local port all the same.
    "ZALO_OPENAPI_URL": "http://127.0.0.1:9",
    "ZALO_OAUTH_URL": "http://127.0.0.1:9",
    "ZALO_GRAPH_URL": "http://127.0.0.1:9",
    "ZALO_BUSINESS_URL": "http://127.0.0.1:9",
    "FB_GRAPH_URL": "http://127.0.0.1:9",
}


def page_config(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="sandbox-config">(.*?)</script>', html)
    assert found, "the page carries its configuration"
    return json.loads(found.group(1))


async def test_page_is_served_without_credentials(sandbox: Sandbox) -> None:
    resp = await sandbox.client.get("/sandbox")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    html = await resp.text()
    assert '<html lang="vi">' in html
    assert "Quan tâm" in html and "Bắt đầu" in html and "Mini App" in html
    config = page_config(html)
    assert config["channels"]["zalo"]["sandbox"] is True
    assert config["channels"]["messenger"]["sandbox"] is True
    assert config["shop"]["name"] == "Cà Phê Sữa Đá"
    assert config["limits"]["zalo"]["buttons"] == 5
    assert config["limits"]["messenger"]["buttons"] == 3
    # Messenger's welcome screen and persistent menu, as sync-profile would push them.
    assert config["messenger"]["greeting"].startswith("Chào {{user_first_name}}!")
    payloads = [item.get("payload") for item in config["messenger"]["menu"]]
    assert "game:lucky-wheel" in payloads
    assert {"title": "Vòng quay may mắn", "payload": "#game:lucky-wheel"} in config["zalo"]["menu"]
    # The page holds no secret of any kind.
    assert "sandbox-secret" not in html


async def test_static_files(sandbox: Sandbox) -> None:
    js = await sandbox.client.get("/sandbox/static/sandbox.js")
    assert js.status == 200
    assert js.headers["Content-Type"].startswith("text/javascript")
    assert "EventSource" in await js.text()
    css = await sandbox.client.get("/sandbox/static/sandbox.css")
    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")
    for name in ("missing.js", "..%2Fpage.py", ".hidden.js", "page.py"):
        assert (await sandbox.client.get(f"/sandbox/static/{name}")).status == 404


@pytest.mark.parametrize(
    "overrides",
    [{"SANDBOX_ENABLED": False}, BOTH_CONFIGURED],
    ids=["SANDBOX_ENABLED=false", "both-channels-configured"],
)
async def test_every_sandbox_route_is_404_when_off(
    clean_db: str,
    make_settings: Callable[..., Settings],
    overrides: dict[str, Any],
) -> None:
    settings = make_settings(**overrides)
    assert settings.sandbox_enabled is False
    async with running(settings) as app:
        for method, path in SANDBOX_ROUTES:
            resp = await app.client.request(method, path, json={})
            assert resp.status == 404, (method, path)
        assert (await app.client.get("/healthz")).status == 200


async def test_forced_on_with_both_channels_configured(
    clean_db: str, make_settings: Callable[..., Settings]
) -> None:
    async with running(make_settings(SANDBOX_ENABLED=True, **BOTH_CONFIGURED)) as app:
        resp = await app.client.get("/sandbox")
        assert resp.status == 200
        config = page_config(await resp.text())
    # The page warns that replies go to the real platforms, not to the page.
    assert config["channels"]["zalo"] == {"sandbox": False, "account_id": "5678"}
    assert config["channels"]["messenger"] == {"sandbox": False, "account_id": "999"}
