"""Liveness and readiness: `/healthz` answers while the process runs, `/readyz` checks deps."""

from __future__ import annotations

import asyncio

from aiohttp import web
from tortoise import connections

from bot.appkeys import RUNTIME

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(2):
            await connections.get("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if runtime.settings.REDIS_URL:
        try:
            async with asyncio.timeout(2):
                await runtime.backends.kv.get("readyz")
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    writer = runtime.inbox_writer
    # How well webhooks share their writes: rows per INSERT (the benchmark reads this too).
    ingest = {
        "batches": writer.flushes,
        "rows": writer.rows,
        "in_flight": writer.max_inflight,
        "min_rows": writer.min_rows,
    }
    return web.json_response(
        {"status": "ok" if ready else "unavailable", "checks": checks, "ingest": ingest},
        status=200 if ready else 503,
    )
