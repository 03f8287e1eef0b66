"""The app factory: health checks, problem details under /api, structured logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.logs import JsonFormatter
from bot.settings import Settings


async def start(settings: Settings) -> TestClient:
    client = TestClient(TestServer(build_app(settings)))
    await client.start_server()
    return client


async def test_healthz_and_readyz_with_the_embedded_defaults(
    clean_db: str, make_settings: Callable[..., Settings]
) -> None:
    client = await start(make_settings())
    try:
        assert (await (await client.get("/healthz")).json()) == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status == 200
        body = await ready.json()
        assert body["checks"] == {"database": "ok"}
        in_flight = 1 if clean_db.startswith("sqlite") else 2  # SQLite has one writer
        assert body["ingest"] == {"batches": 0, "rows": 0, "in_flight": in_flight, "min_rows": 8}
    finally:
        await client.close()


async def test_readyz_checks_redis_when_configured(
    clean_db: str, make_settings: Callable[..., Settings], redis_url: str
) -> None:
    if not redis_url:
        pytest.skip("TEST_REDIS_URL not set")
    client = await start(make_settings(REDIS_URL=redis_url))
    try:
        body = await (await client.get("/readyz")).json()
        assert body["checks"] == {"database": "ok", "redis": "ok"}
    finally:
        await client.close()


async def test_serve_stays_ready_while_redis_is_down(
    clean_db: str, make_settings: Callable[..., Settings]
) -> None:
    """`serve` can still acknowledge webhooks (the database is the durable queue): ready,
    with Redis's trouble reported beside it."""
    # Nothing listens on port 1: the Redis check fails, the process stays alive.
    client = await start(make_settings(REDIS_URL="redis://127.0.0.1:1/0"))
    try:
        resp = await client.get("/readyz")
        assert resp.status == 200
        body = await resp.json()
        assert body["status"] == "ok"
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["redis"].startswith("error")
        assert (await client.get("/healthz")).status == 200
    finally:
        await client.close()


async def test_unknown_api_route_is_problem_json(
    clean_db: str, make_settings: Callable[..., Settings]
) -> None:
    client = await start(make_settings())
    try:
        resp = await client.get("/api/v1/nothing-here")
        assert resp.status == 404
        assert resp.content_type == "application/problem+json"
        body = await resp.json(content_type=None)
        assert {"type", "title", "status", "detail", "code"} <= body.keys()
        assert body["status"] == 404 and body["code"] == "not_found"
    finally:
        await client.close()


def test_json_logs_are_one_object_per_line_with_extras() -> None:
    record = logging.LogRecord("bot.test", logging.INFO, __file__, 1, "chào %s", ("Lan",), None)
    record.user_id = "u1"
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["msg"] == "chào Lan" and data["level"] == "INFO" and data["user_id"] == "u1"
    assert "\n" not in line
