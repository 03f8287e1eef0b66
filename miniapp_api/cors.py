"""CORS for the Mini App origins listed in `MINIAPP_ORIGINS`, and for nobody else.

The allowed origin is echoed only when it is on the list (never a wildcard, never an
arbitrary reflected origin). Headers are added in `on_response_prepare`, so error responses
made by the problem middleware carry them too: a browser can read every problem body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.appkeys import SETTINGS
from bot.web.problems import ApiError

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Api-Key"
EXPOSE_HEADERS = "Retry-After, WWW-Authenticate"
MAX_AGE = "600"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _allowed(request: web.Request) -> str | None:
    origin = request.headers.get("Origin")
    if origin and origin in request.app[SETTINGS].MINIAPP_ORIGINS:
        return origin
    return None


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer preflights for `/api` before routing decides the method is not allowed."""
    is_preflight = (
        request.method == "OPTIONS"
        and request.path.startswith("/api")
        and "Access-Control-Request-Method" in request.headers
    )
    if not is_preflight:
        return await handler(request)
    origin = _allowed(request)
    if origin is None:
        raise ApiError(403, "origin_not_allowed", "this origin may not call the API")
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": MAX_AGE,
        },
    )


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    if not request.path.startswith("/api"):
        return
    response.headers.add("Vary", "Origin")
    origin = _allowed(request)
    if origin is None:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS


def setup_cors(app: web.Application) -> None:
    app.middlewares.append(cors_middleware)
    app.on_response_prepare.append(add_cors_headers)
