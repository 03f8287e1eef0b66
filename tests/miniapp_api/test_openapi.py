"""The generated OpenAPI document, the offline docs page, and schemathesis against both.

Schemathesis drives the real server on a loopback port: its requests are synchronous, so
they run in a worker thread while this test's event loop keeps serving them.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error

from tests.miniapp_api.conftest import ADMIN_KEY, Api

CONTRACT_ROUTES = {
    ("post", "/api/v1/session"),
    ("get", "/api/v1/me/card"),
    ("post", "/api/v1/me/phone"),
    ("get", "/api/v1/me/vouchers"),
    ("get", "/api/v1/me/points"),
    ("get", "/api/v1/games"),
    ("get", "/api/v1/games/{game_id}"),
    ("post", "/api/v1/games/{game_id}/plays"),
    ("post", "/api/v1/admin/orders"),
    ("get", "/api/v1/admin/members/{key}"),
    ("post", "/api/v1/admin/vouchers/{code}/redeem"),
}


async def test_the_document_covers_every_route(api: Api) -> None:
    resp = await api.client.get("/api/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    assert doc["openapi"].startswith("3.")
    operations = {(m, p) for p, item in doc["paths"].items() for m in item}
    assert operations >= CONTRACT_ROUTES
    card = doc["components"]["schemas"]["CardOut"]
    assert set(card["required"]) == {
        "member_code",
        "name",
        "phone",
        "points",
        "tier",
        "next_tier",
        "points_to_next",
        "qr",
        "vouchers_available",
    }
    play = doc["paths"]["/api/v1/games/{game_id}/plays"]["post"]
    assert {"201", "200", "401", "404", "409", "429"} <= set(play["responses"])
    assert play["responses"]["429"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert [p["name"] for p in play["parameters"]] == ["game_id", "Idempotency-Key"]
    assert play["security"] == [{"session": []}]
    order = doc["paths"]["/api/v1/admin/orders"]["post"]
    assert order["security"] == [{"apiKey": []}]
    assert order["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrderIn"
    }
    points = doc["paths"]["/api/v1/me/points"]["get"]
    limit = next(p for p in points["parameters"] if p["name"] == "limit")
    assert limit["in"] == "query" and limit["schema"]["maximum"] == 100
    # Every $ref points at a schema that exists.
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', await resp.text()))
    assert refs <= set(doc["components"]["schemas"])


async def test_the_docs_page_is_self_contained(api: Api) -> None:
    resp = await api.client.get("/api/docs")
    assert resp.status == 200 and resp.content_type == "text/html"
    html = await resp.text()
    assert 'fetch("openapi.json")' in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no CDN, works offline


def _run_schemathesis(base_url: str, headers: dict[str, str]) -> list[str]:
    """Every operation, a few valid and a few invalid requests each; returns the failures."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json", timeout=10)
    failures: list[str] = []
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation, mode in itertools.product(operations, modes):

        @hypothesis.settings(
            max_examples=6,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            case.validate_response(response, checks=[not_a_server_error])

        try:
            check()
        except Exception as exc:  # collect, so one run reports every failing operation
            failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    return failures


async def test_schemathesis_finds_no_server_error(start_api: Any) -> None:
    api = await start_api(MEMBER_RATE_LIMIT_PER_MINUTE=100_000)
    token, _ = await api.login()
    code = (await api.card(token))["member_code"]
    await api.order("ST-1", 5_500_000, member_code=code)  # a member with points and vouchers
    base_url = str(api.client.make_url("")).rstrip("/")
    headers = {"Authorization": f"Bearer {token}", "X-Api-Key": ADMIN_KEY}
    failures = await asyncio.to_thread(_run_schemathesis, base_url, headers)
    assert not failures, "\n\n".join(failures)
