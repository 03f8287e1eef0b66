"""Mount the `/api` tree on the app: Mini App, games and admin routes, OpenAPI, CORS.

`bot.app.build_app` calls `setup_api(app)` when this package is present. Problem details
come from `bot.web.problems.problem_middleware` (already on the app); this module adds CORS
and the render cache, and mounts every route declared with `@api.route`.
"""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import SETTINGS
from bot.web.security import setup_security_headers
from miniapp_api import views  # noqa: F401 - importing registers the routes
from miniapp_api.audit import audit_middleware
from miniapp_api.calls import handler_for
from miniapp_api.cors import setup_cors
from miniapp_api.media import setup_media_cache
from miniapp_api.openapi import setup_openapi
from miniapp_api.registry import mount


def setup_api(app: web.Application) -> None:
    app.middlewares.append(audit_middleware)  # admin writes audited, key guessing limited
    setup_security_headers(app)  # idempotent: the sandbox and bot.app may install it too
    setup_cors(app)
    setup_media_cache(app, app[SETTINGS])
    setup_openapi(app)
    mount(app, handler_for)
