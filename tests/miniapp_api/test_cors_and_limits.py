"""CORS only for the Mini App origins, and the per-member rate limit."""

from __future__ import annotations

from typing import Any

from tests.miniapp_api.conftest import Api, problem

ALLOWED = "https://h5.zdn.vn"


async def test_preflight_from_the_mini_app(api: Api) -> None:
    resp = await api.client.options(
        "/api/v1/me/card",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "GET" in resp.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    assert "Idempotency-Key" in resp.headers["Access-Control-Allow-Headers"]


async def test_preflight_from_another_origin_is_refused(api: Api) -> None:
    resp = await api.client.options(
        "/api/v1/me/card",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    await problem(resp, 403, "origin_not_allowed")
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_responses_carry_cors_headers_only_for_allowed_origins(api: Api) -> None:
    token, _ = await api.login()
    ok = await api.me("GET", "/api/v1/me/card", token, headers={"Origin": ALLOWED})
    assert ok.status == 200
    assert ok.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Origin" in ok.headers.getall("Vary")
    # Problems too, so the Mini App can read why it was refused.
    refused = await api.client.get("/api/v1/me/card", headers={"Origin": ALLOWED})
    await problem(refused, 401, "missing_session")
    assert refused.headers["Access-Control-Allow-Origin"] == ALLOWED
    other = await api.me("GET", "/api/v1/me/card", token, headers={"Origin": "https://x.example"})
    assert other.status == 200
    assert "Access-Control-Allow-Origin" not in other.headers


async def test_rate_limit_per_member(start_api: Any) -> None:
    api = await start_api(MEMBER_RATE_LIMIT_PER_MINUTE=3)
    token, _ = await api.login("1")
    other, _ = await api.login("2")
    for _ in range(3):
        assert (await api.me("GET", "/api/v1/me/vouchers", token)).status == 200
    resp = await api.me("GET", "/api/v1/me/card", token)
    body = await problem(resp, 429, "rate_limited")
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert body["retry_after"] == int(resp.headers["Retry-After"])
    assert (await api.me("GET", "/api/v1/me/card", other)).status == 200  # per member
