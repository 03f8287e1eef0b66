"""Sessions execute method objects: build the HTTP call, read the answer, map failures.

Only :meth:`BaseSession.make_request` does I/O, so a test can swap the transport and the
rest (URLs, status handling, Zalo's HTTP-200 errors) stays the code under test.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TypeVar

from bot.channels.zalo.api_server import ZaloAPIServer
from bot.channels.zalo.exceptions import ZaloHTTPError, ZaloNetworkError
from bot.channels.zalo.methods.base import Request, ZaloMethod

T = TypeVar("T")
log = logging.getLogger("bot.channels.zalo.session")


class BaseSession(ABC):
    """Turns a method into a result or a typed exception; retries belong to the client."""

    def __init__(self, api: ZaloAPIServer | None = None) -> None:
        self.api = api or ZaloAPIServer()

    async def __call__(
        self, method: ZaloMethod[T], *, headers: Mapping[str, str] | None = None
    ) -> T:
        request = method.build_request()
        url = self.api.url(request.server, request.path)
        status, raw = await self.make_request(url, request, dict(headers or {}))
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

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release the transport if this session owns it."""
