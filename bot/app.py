"""The aiohttp application factory: one server for webhooks, Mini App API, media, sandbox."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime

from aiohttp import web

from bot.appkeys import CHANNELS, CONTENT, HTTP, INGEST_STATS, KV, SETTINGS
from bot.console import setup_console
from bot.core.router import Router
from bot.promotions_page import setup_promotions_page
from bot.runtime import RUNTIME, Runtime
from bot.sandbox.routes import setup_sandbox
from bot.settings import Settings
from bot.web.health import routes as health_routes
from bot.web.media import MEDIA, setup_media
from bot.web.problems import problem_middleware
from bot.web.security import setup_security_headers
from miniapp_api.routes import setup_api


def build_app(
    settings: Settings,
    *,
    routers: Sequence[Router] = (),
    clock: Callable[[], datetime] | None = None,
    rng: random.Random | None = None,
    consume: bool | None = None,
) -> web.Application:
    """Build the whole server; `routers` are included ahead of the product flows, `clock`
    and `rng` replace the handlers' own (tests), `consume=True` runs the worker's jobs here
    even with Redis."""
    app = web.Application(
        middlewares=[problem_middleware], client_max_size=settings.WEBHOOK_MAX_BODY_BYTES
    )
    runtime = Runtime(
        settings, role="serve", routers=routers, clock=clock, rng=rng, consume=consume
    )
    assert runtime.ingest is not None
    app[RUNTIME] = runtime
    app[SETTINGS] = settings
    app[CONTENT] = runtime.content
    app[KV] = runtime.backends.kv
    app[HTTP] = runtime.http
    app[MEDIA] = runtime.services.media
    app[CHANNELS] = runtime.channels
    app[INGEST_STATS] = runtime.ingest.stats

    async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
        await runtime.start()  # without Redis, this process also consumes the queue
        yield
        await runtime.close()

    app.cleanup_ctx.append(runtime_ctx)
    app.router.add_routes(health_routes)
    setup_security_headers(app)
    setup_media(app, settings.media_dir)
    setup_promotions_page(app)
    runtime.setup_routes(app)
    setup_api(app)
    setup_console(app)
    setup_sandbox(app)
    return app
