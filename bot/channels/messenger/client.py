"""`GraphClient`: `await client(method)` runs one typed method with the Page token.

The token travels as `access_token` with its `appsecret_proof` (hex HMAC-SHA256 of the token
keyed by the App Secret), so a leaked token alone cannot call the API when the app requires
proofs. A quick transient failure (Graph codes 1/2/1200, 5xx, connection error, timeout) is
retried once or twice in the call when it certainly did not reach Graph (a timeout may
have been delivered: `bot.apiclient.retry`); rate limits and longer outages are the
outbox's job, which keeps the message and backs off for hours.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TypeVar

from bot.apiclient.proof import appsecret_proof
from bot.apiclient.retry import RetryPolicy
from bot.channels.messenger.api_server import GraphAPIServer
from bot.channels.messenger.exceptions import MessengerError
from bot.channels.messenger.methods.base import GraphMethod
from bot.channels.messenger.session import AiohttpGraphSession, GraphSession
from bot.settings import Settings

R = TypeVar("R")
log = logging.getLogger("bot.channels.messenger.client")


class GraphClient:
    """Executes method objects for one Page."""

    def __init__(
        self,
        session: GraphSession,
        page_token: str,
        *,
        app_secret: str = "",
        retry: RetryPolicy | None = None,
    ) -> None:
        self.session = session
        self.retry = retry or RetryPolicy(attempts=2)
        self._credentials = {"access_token": page_token}
        if app_secret:
            self._credentials["appsecret_proof"] = appsecret_proof(app_secret, page_token)

    @classmethod
    def from_settings(cls, settings: Settings, **session_options: object) -> GraphClient:
        api = GraphAPIServer.from_settings(settings)
        session = AiohttpGraphSession(api, **session_options)  # type: ignore[arg-type]
        return cls(session, settings.FB_PAGE_ACCESS_TOKEN, app_secret=settings.FB_APP_SECRET)

    async def __call__(self, method: GraphMethod[R]) -> R:
        attempt = 0
        while True:
            try:
                return await self.session(method, credentials=self._credentials)
            except MessengerError as exc:
                if not exc.retry_in_call or attempt + 1 >= self.retry.attempts:
                    raise
                delay = self.retry.delay(attempt)
                attempt += 1
                log.info("graph %s: %s; retry %d in %.2fs", method.path(), exc, attempt, delay)
                await asyncio.sleep(delay)

    async def close(self) -> None:
        await self.session.close()
