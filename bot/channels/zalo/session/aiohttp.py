"""The one place that talks HTTP to Zalo: an aiohttp client session."""

from __future__ import annotations

import json

import aiohttp

from bot.channels.zalo.api_server import ZaloAPIServer
from bot.channels.zalo.exceptions import ZaloNetworkError
from bot.channels.zalo.methods.base import Request
from bot.channels.zalo.session.base import BaseSession


class AiohttpSession(BaseSession):
    """Uses the process's shared `aiohttp.ClientSession` when given one (not closed here),
    otherwise opens its own on first use and closes it in :meth:`close`."""

    def __init__(
        self,
        api: ZaloAPIServer | None = None,
        *,
        http: aiohttp.ClientSession | None = None,
        timeout: float = 15.0,
    ) -> None:
        super().__init__(api)
        self._http = http
        self._owned = http is None
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=min(5.0, timeout))

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
            self._owned = True
        return self._http

    async def make_request(
        self, url: str, request: Request, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        data: aiohttp.FormData | bytes | dict[str, str] | None = None
        if request.files:
            form = aiohttp.FormData()
            for name, upload in request.files.items():
                form.add_field(
                    name, upload.data, filename=upload.filename, content_type=upload.content_type
                )
            data = form
        elif request.form is not None:
            data = request.form  # application/x-www-form-urlencoded
        elif request.json is not None:
            data = json.dumps(request.json, ensure_ascii=False).encode()
            headers = {**headers, "Content-Type": "application/json; charset=utf-8"}
        try:
            async with self._client().request(
                request.http_method,
                url,
                params=request.params,
                data=data,
                headers=headers,
                timeout=self.timeout,
            ) as resp:
                return resp.status, await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The type only: aiohttp messages can carry the full URL with query data.
            raise ZaloNetworkError(f"{request.path}: {type(exc).__name__}") from None

    async def close(self) -> None:
        if self._owned and self._http is not None and not self._http.closed:
            await self._http.close()
        self._http = None
