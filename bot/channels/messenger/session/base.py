"""Sessions execute method objects: middlewares, the HTTP call, the answer mapped to a
result or a typed error.

Only :meth:`GraphSession.make_request` does I/O. What wraps each call (the Page's
credentials, quick retries) is the session's middleware chain (`session/middlewares.py`,
registered by `GraphClient`). Graph errors are classified from the body's
`code`/`error_subcode` (`errors.from_response`); a non-JSON 5xx/429 (a proxy in trouble) is a
network error, so it is retried like a timeout.
"""

from __future__ import annotations

import json
import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from bot.apiclient.middleware import Call, MiddlewareSession
from bot.channels.messenger.api_server import GraphAPIServer
from bot.channels.messenger.exceptions import GraphNetworkError, from_response
from bot.channels.messenger.methods.base import GraphMethod, Request

R = TypeVar("R")
log = logging.getLogger("bot.channels.messenger.session")


class GraphSession(MiddlewareSession):
    """Turns a method into a result or a typed exception, through its middlewares."""

    def __init__(self, api: GraphAPIServer | None = None) -> None:
        super().__init__()
        self.api = api or GraphAPIServer()

    async def __call__(
        self,
        method: GraphMethod[R],
        *,
        credentials: Mapping[str, str] | None = None,
    ) -> R:
        return cast(R, await self._run(Call(method, dict(credentials or {}))))

    async def _send(self, call: Call) -> Any:
        method: GraphMethod[Any] = call.method
        request = method.build_request()
        url = self.api.url(request.path)
        status, raw = await self.make_request(url, request, call.credentials)
        log.debug("%s %s -> HTTP %s", request.http_method, request.path, status)
        return self.check_response(method, request, status, raw)

    def check_response(
        self, method: GraphMethod[R], request: Request, status: int, raw: bytes
    ) -> R:
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            if status >= 500 or status == 429:
                raise GraphNetworkError(f"{request.path}: HTTP {status}, not JSON") from None
            raise from_response(status, None) from None
        if status >= 400 or (isinstance(data, dict) and "error" in data):
            raise from_response(status, data)
        return method.build_result(data)

    @abstractmethod
    async def make_request(
        self, url: str, request: Request, credentials: dict[str, str]
    ) -> tuple[int, bytes]:
        """Perform the call; return (HTTP status, body). Raise GraphNetworkError when no
        answer came (connection error, timeout)."""

    async def close(self) -> None:
        """Release the transport if this session owns it."""
