"""`GraphClient`: `await client(method)` runs one typed method with the Page token.

The token travels as `access_token` with its `appsecret_proof` (the session's `Credentials`
middleware). A quick transient failure (Graph codes 1/2/1200, 5xx, connection error, timeout) is
retried once or twice in the call when it certainly did not reach Graph (a timeout may
have been delivered: `bot.apiclient.retry`); rate limits and longer outages are the
outbox's job, which keeps the message and backs off for hours (the `QuickRetry`
middleware, `bot.apiclient.middleware`).
"""

from __future__ import annotations

from typing import TypeVar

from bot.apiclient.middleware import QuickRetry
from bot.apiclient.retry import RetryPolicy
from bot.channels.messenger.api_server import GraphAPIServer
from bot.channels.messenger.exceptions import MessengerError
from bot.channels.messenger.methods.base import GraphMethod
from bot.channels.messenger.session import AiohttpGraphSession, GraphSession
from bot.channels.messenger.session.middlewares import Credentials
from bot.settings import Settings

R = TypeVar("R")


class GraphClient:
    """Executes method objects for one Page; the session becomes this client's."""

    def __init__(
        self,
        session: GraphSession,
        page_token: str,
        *,
        app_secret: str = "",
        retry: RetryPolicy | None = None,
    ) -> None:
        if session.middlewares:
            raise ValueError("this session already belongs to a client")
        self.session = session
        self.retry = retry or RetryPolicy(attempts=2)
        session.middleware(Credentials(page_token, app_secret))
        session.middleware(QuickRetry(self.retry, MessengerError, "graph"))

    @classmethod
    def from_settings(cls, settings: Settings, **session_options: object) -> GraphClient:
        api = GraphAPIServer.from_settings(settings)
        session = AiohttpGraphSession(api, **session_options)  # type: ignore[arg-type]
        return cls(session, settings.FB_PAGE_ACCESS_TOKEN, app_secret=settings.FB_APP_SECRET)

    async def __call__(self, method: GraphMethod[R]) -> R:
        return await self.session(method)

    async def close(self) -> None:
        await self.session.close()
