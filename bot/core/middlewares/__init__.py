from bot.core.middlewares.base import (
    BaseMiddleware,
    MiddlewareManager,
    MiddlewareType,
    NextHandler,
    wrap,
)

__all__ = ["BaseMiddleware", "MiddlewareManager", "MiddlewareType", "NextHandler", "wrap"]
