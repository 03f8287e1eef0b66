"""`ZaloClient`: `await client(method)` → the session, with the two recoveries Zalo needs.

* A token error (-216/-220, ZNS -124) refreshes the OA token once and retries once.
* A failure that certainly did not reach Zalo (-32, -200, HTTP 429, a connection that
  could not be made) is retried a few times with exponential backoff and full jitter; a
  timeout or 5xx, which may have been delivered, is not (`bot.apiclient.retry`). Longer
  outages are the outbox's job, which keeps the message and tries again for hours.

Both are middlewares of the session (`session/middlewares.py`, `bot.apiclient.middleware`),
registered here with the credentials; everything else is raised as its typed exception.
"""

from __future__ import annotations

from typing import TypeVar

from bot.apiclient.middleware import QuickRetry
from bot.apiclient.retry import RetryPolicy
from bot.channels.zalo.exceptions import ZaloError
from bot.channels.zalo.methods.base import ZaloMethod
from bot.channels.zalo.session.base import BaseSession
from bot.channels.zalo.session.middlewares import Credentials, RefreshToken, TokenSource

T = TypeVar("T")

__all__ = ["TokenSource", "ZaloClient"]


class ZaloClient:
    """Executes method objects with the OA token (or the App Secret for OAuth calls).

    The session becomes this client's: its middlewares are registered here, once.
    """

    def __init__(
        self,
        session: BaseSession,
        *,
        tokens: TokenSource | None = None,
        app_secret: str = "",
        retry: RetryPolicy | None = None,
    ) -> None:
        if session.middlewares:
            raise ValueError("this session already belongs to a client")
        self.session = session
        self.retry = retry or RetryPolicy()
        if tokens is not None:
            session.middleware(RefreshToken(tokens))
        session.middleware(Credentials(tokens, app_secret))
        session.middleware(QuickRetry(self.retry, ZaloError, "zalo"))

    async def __call__(self, method: ZaloMethod[T]) -> T:
        return await self.session(method)

    async def close(self) -> None:
        await self.session.close()
