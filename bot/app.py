"""The aiohttp application factory: one server for webhooks, Mini App API, media, sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from bot.appkeys import RUNTIME, SETTINGS
from bot.core.router import Router
from bot.runtime import Runtime
from bot.settings import Settings
from bot.web.health import routes as health_routes
from bot.web.media import setup_media
from bot.web.problems import problem_middleware


def build_app(settings: Settings, *, routers: Sequence[Router] = ()) -> web.Application:
    """Build the whole server; `routers` are included ahead of the product flows (tests)."""
    app = web.Application(
        middlewares=[problem_middleware], client_max_size=settings.WEBHOOK_MAX_BODY_BYTES
    )
    app[SETTINGS] = settings
    runtime = Runtime(settings, routers)
    app[RUNTIME] = runtime

    async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
        # Without Redis there is no separate worker: this process consumes the queue.
        await runtime.start(consume=not settings.REDIS_URL, webhooks=True)
        yield
        await runtime.close()

    app.cleanup_ctx.append(runtime_ctx)
    app.router.add_routes(health_routes)
    setup_media(app)
    from bot.channels.registry import channel_classes

    for cls in channel_classes().values():
        cls.setup_routes(app)
    _setup_optional(app)
    return app


def _setup_optional(app: web.Application) -> None:
    """Parts added by later modules: the Mini App API and the sandbox page."""
    try:
        from miniapp_api.routes import setup_api
    except ImportError:
        pass
    else:
        setup_api(app)
    try:
        from bot.sandbox.routes import setup_sandbox
    except ImportError:
        pass
    else:
        setup_sandbox(app)
