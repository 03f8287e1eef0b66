"""Liveness and readiness: `/healthz` answers while the process runs, `/readyz` checks deps.

`serve` is ready while it can acknowledge webhooks, which needs the database only: the
committed inbox row is the durable queue. Redis is reported beside it (`checks.redis`) but
does not make `serve` unready: during a Redis outage webhooks are still stored, and their
jobs are queued once it is back.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from tortoise import connections

from bot.appkeys import INGEST_STATS, KV, SETTINGS

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(2):
            await connections.get("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if request.app[SETTINGS].REDIS_URL:
        try:
            async with asyncio.timeout(2):
                await request.app[KV].get("readyz")
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = checks["database"] == "ok"
    # How well webhooks share their writes: rows per INSERT (the benchmark reads this too).
    return web.json_response(
        {
            "status": "ok" if ready else "unavailable",
            "checks": checks,
            "ingest": request.app[INGEST_STATS](),
        },
        status=200 if ready else 503,
    )
