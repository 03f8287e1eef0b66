"""Security headers over real HTTP: pages get a CSP without inline script, everything gets
nosniff, a Referrer-Policy and no framing; the Mini App API keeps its CORS answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import build_app
from bot.settings import Settings
from bot.web.security import inline_hashes


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def common(headers: Any) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


async def client(aiohttp_client: Any, make_settings: Callable[..., Settings]) -> TestClient:
    settings = make_settings(SANDBOX_ENABLED=True, MINIAPP_ORIGINS="https://h5.zdn.vn")
    return await aiohttp_client(build_app(settings))


async def test_pages_allow_no_inline_script(
    aiohttp_client: Any, make_settings: Callable[..., Settings], clean_db: str
) -> None:
    c = await client(aiohttp_client, make_settings)
    resp = await c.get("/sandbox")
    assert resp.status == 200
    common(resp.headers)
    policy = directives(resp.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]
    assert "http://127.0.0.1:8080" in policy["img-src"]  # images by their absolute links
    html = await resp.text()
    assert inline_hashes(html) == ((), ())  # so the page works under that policy
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either

    resp = await c.get("/sandbox/static/sandbox.js")
    assert resp.status == 200
    common(resp.headers)
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")


async def test_the_api_docs_allow_exactly_their_own_inline_blocks(
    aiohttp_client: Any, make_settings: Callable[..., Settings], clean_db: str
) -> None:
    c = await client(aiohttp_client, make_settings)
    resp = await c.get("/api/docs")
    common(resp.headers)
    policy = directives(resp.headers["Content-Security-Policy"])
    scripts, styles = inline_hashes(await resp.text())
    assert len(scripts) == 1 and len(styles) == 1
    assert policy["script-src"] == ["'self'", *scripts]
    assert policy["style-src"] == ["'self'", *styles]


async def test_api_errors_streams_and_health_get_them_too_and_cors_stays(
    aiohttp_client: Any, make_settings: Callable[..., Settings], clean_db: str
) -> None:
    c = await client(aiohttp_client, make_settings)
    resp = await c.get("/api/v1/me/card", headers={"Origin": "https://h5.zdn.vn"})
    assert resp.status == 401
    common(resp.headers)
    assert resp.headers["Access-Control-Allow-Origin"] == "https://h5.zdn.vn"
    resp = await c.options(
        "/api/v1/me/card",
        headers={
            "Origin": "https://h5.zdn.vn",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert resp.headers["Access-Control-Allow-Origin"] == "https://h5.zdn.vn"
    common(resp.headers)

    resp = await c.get("/healthz")
    common(resp.headers)
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")

    # The live feed sends its headers from inside the handler: still covered.
    resp = await c.get("/sandbox/api/stream", params={"channel": "zalo", "user_id": "u1"})
    assert resp.status == 200
    common(resp.headers)
    resp.close()
