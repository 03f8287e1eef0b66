"""`ZaloClient`: `await client(method)` → session, with the two recoveries Zalo needs.

* A token error (-216/-220, ZNS -124) refreshes the OA token once and retries once.
* A failure that certainly did not reach Zalo (-32, -200, HTTP 429, a connection that
  could not be made) is retried a few times with exponential backoff and full jitter; a
  timeout or 5xx, which may have been delivered, is not (`bot.apiclient.retry`). Longer
  outages are the outbox's job, which keeps the message and tries again for hours.

Everything else is raised to the caller as its typed exception.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol, TypeVar

from bot.apiclient.retry import RetryPolicy
from bot.channels.zalo.exceptions import ZaloError, ZaloTokenError
from bot.channels.zalo.methods.base import ZaloMethod
from bot.channels.zalo.session.base import BaseSession

T = TypeVar("T")
log = logging.getLogger("bot.channels.zalo.client")


class TokenSource(Protocol):
    async def access_token(self) -> str: ...

    async def refresh(self, stale: str) -> str: ...


class ZaloClient:
    """Executes method objects with the OA token (or the App Secret for OAuth calls)."""

    def __init__(
        self,
        session: BaseSession,
        *,
        tokens: TokenSource | None = None,
        app_secret: str = "",
        retry: RetryPolicy | None = None,
    ) -> None:
        self.session = session
        self.tokens = tokens
        self._app_secret = app_secret
        self.retry = retry or RetryPolicy()

    async def __call__(self, method: ZaloMethod[T]) -> T:
        refreshed = False
        attempt = 0
        while True:
            token = ""
            headers: dict[str, str] = {}
            if method.__auth__ == "access_token":
                if self.tokens is None:
                    raise ZaloTokenError(-216, "no OA token source configured")
                token = await self.tokens.access_token()
                headers["access_token"] = token
            elif method.__auth__ == "secret_key":
                headers["secret_key"] = self._app_secret
            elif method.__auth__ == "user":
                headers.update(method.user_headers(self._app_secret))
            try:
                return await self.session(method, headers=headers)
            except ZaloTokenError:
                if refreshed or self.tokens is None or not token:
                    raise
                refreshed = True
                log.info("zalo %s: access token refused, refreshing once", method.__api_path__)
                await self.tokens.refresh(stale=token)
            except ZaloError as exc:
                if not exc.retry_in_call or attempt + 1 >= self.retry.attempts:
                    raise
                delay = self.retry.delay(attempt)
                attempt += 1
                log.info(
                    "zalo %s: %s; retry %d in %.2fs", method.__api_path__, exc, attempt, delay
                )
                await asyncio.sleep(delay)

    async def close(self) -> None:
        await self.session.close()
