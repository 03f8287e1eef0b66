"""The Zalo session's middlewares: the credential each method asks for, and one token
refresh when Zalo refuses the OA token."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from bot.apiclient.middleware import Call, Next, RequestMiddleware
from bot.channels.zalo.exceptions import ZaloTokenError

log = logging.getLogger("bot.channels.zalo.session")


class TokenSource(Protocol):
    async def access_token(self) -> str: ...

    async def refresh(self, stale: str) -> str: ...


class Credentials(RequestMiddleware):
    """By the method's `__auth__`: the OA access token, the App Secret (OAuth calls), or
    the Mini App user's token with its proof (Graph)."""

    def __init__(self, tokens: TokenSource | None, app_secret: str) -> None:
        self._tokens = tokens
        self._app_secret = app_secret

    async def __call__(self, call_next: Next, call: Call) -> Any:
        auth = call.method.__auth__
        if auth == "access_token":
            if self._tokens is None:
                raise ZaloTokenError(-216, "no OA token source configured")
            call.credentials["access_token"] = await self._tokens.access_token()
        elif auth == "secret_key" and self._app_secret:
            call.credentials["secret_key"] = self._app_secret
        elif auth == "user":
            call.credentials.update(call.method.user_headers(self._app_secret))
        return await call_next(call)


class RefreshToken(RequestMiddleware):
    """A token error (-216/-220, ZNS -124) refreshes the OA token once and tries once more;
    runs outside `Credentials`, which then puts the new token on the call."""

    def __init__(self, tokens: TokenSource) -> None:
        self._tokens = tokens

    async def __call__(self, call_next: Next, call: Call) -> Any:
        try:
            return await call_next(call)
        except ZaloTokenError:
            stale = call.credentials.get("access_token")
            if not stale:
                raise
            log.info("zalo %s: access token refused, refreshing once", call.method.__api_path__)
            await self._tokens.refresh(stale=stale)
            return await call_next(call)
