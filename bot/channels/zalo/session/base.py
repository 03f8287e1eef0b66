"""Sessions execute method objects: middlewares, the HTTP call, the answer mapped to a
result or a typed error.

Only :meth:`BaseSession.make_request` does I/O, so a test can swap the transport and the
rest (URLs, status handling, Zalo's HTTP-200 errors) stays the code under test. What wraps
each call (credentials, the token refresh, quick retries) is the session's middleware chain
(`session/middlewares.py`, registered by `ZaloClient`).
"""

from __future__ import annotations

import json
import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from bot.apiclient.middleware import Call, MiddlewareSession
from bot.channels.zalo.api_server import ZaloAPIServer
from bot.channels.zalo.exceptions import ZaloHTTPError, ZaloNetworkError
from bot.channels.zalo.methods.base import Request, ZaloMethod

T = TypeVar("T")
log = logging.getLogger("bot.channels.zalo.session")


class BaseSession(MiddlewareSession):
    """Turns a method into a result or a typed exception, through its middlewares."""

    def __init__(self, api: ZaloAPIServer | None = None) -> None:
        super().__init__()
        self.api = api or ZaloAPIServer()

    async def __call__(
        self, method: ZaloMethod[T], *, headers: Mapping[str, str] | None = None
    ) -> T:
        return cast(T, await self._run(Call(method, dict(headers or {}))))

    async def _send(self, call: Call) -> Any:
        method: ZaloMethod[Any] = call.method
        request = method.build_request()
        url = self.api.url(request.server, request.path)
        status, raw = await self.make_request(url, request, call.credentials)
        log.debug("%s %s -> HTTP %s", request.http_method, request.path, status)
        return self.check_response(method, status, raw)

    def check_response(self, method: ZaloMethod[T], status: int, raw: bytes) -> T:
        """HTTP 5xx/429 and non-JSON are transient; Zalo's own errors come with HTTP 200."""
        if status >= 500 or status == 429:
            raise ZaloNetworkError(
                f"{method.__api_path__}: HTTP {status}",
                status=status,
                maybe_delivered=status != 429,
            )
        if status != 200:
            raise ZaloHTTPError(status, raw.decode("utf-8", errors="replace"))
        try:
            body = json.loads(raw)
        except ValueError:
            raise ZaloNetworkError(
                f"{method.__api_path__}: answer is not JSON", status=status
            ) from None
        return method.build_result(body)

    @abstractmethod
    async def make_request(
        self, url: str, request: Request, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """Perform the call; return (HTTP status, body). Raise ZaloNetworkError when no
        answer came (connection error, timeout)."""

    async def close(self) -> None:
        """Release the transport if this session owns it."""
