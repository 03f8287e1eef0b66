"""The aiohttp transport: JSON bodies, multipart uploads, credentials in the query."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.apiclient.http import SharedHttp
from bot.apiclient.retry import never_sent
from bot.channels.messenger.api_server import GraphAPIServer
from bot.channels.messenger.exceptions import GraphNetworkError
from bot.channels.messenger.methods.base import Request
from bot.channels.messenger.session.base import GraphSession

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)


def _text(value: Any) -> str:
    """Query and form values: objects as JSON strings, as Graph accepts them."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


class AiohttpGraphSession(GraphSession):
    """Uses the process's `SharedHttp` when given one (not closed here), else its own."""

    def __init__(
        self,
        api: GraphAPIServer | None = None,
        *,
        http: SharedHttp | None = None,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(api)
        self._owned = http is None
        self._http = http or SharedHttp()
        self._timeout = timeout

    def _client(self) -> aiohttp.ClientSession:
        return self._http.session()

    async def close(self) -> None:
        if self._owned:
            await self._http.close()

    async def make_request(
        self, url: str, request: Request, credentials: dict[str, str]
    ) -> tuple[int, bytes]:
        query = dict(credentials)
        kwargs: dict[str, Any] = {"timeout": self._timeout}
        if request.http_method == "GET":
            query.update({k: _text(v) for k, v in request.params.items()})
        elif request.files:
            form = aiohttp.FormData()
            for key, value in request.params.items():
                form.add_field(key, _text(value))
            for key, part in request.files.items():
                form.add_field(
                    key, part.data, filename=part.filename, content_type=part.content_type
                )
            kwargs["data"] = form
        else:
            kwargs["data"] = json.dumps(request.params, ensure_ascii=False).encode()
            kwargs["headers"] = {"Content-Type": "application/json"}
        try:
            async with self._client().request(
                request.http_method, url, params=query, **kwargs
            ) as resp:
                return resp.status, await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            # The type only, and no chained cause: aiohttp's texts carry the URL, and with
            # it the `access_token` query.
            raise GraphNetworkError(
                f"{request.http_method} {request.path}: {type(exc).__name__}",
                maybe_delivered=not never_sent(exc),
            ) from None
