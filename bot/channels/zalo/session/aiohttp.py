"""The one place that talks HTTP to Zalo: an aiohttp client session."""

from __future__ import annotations

import json

import aiohttp

from bot.apiclient.http import SharedHttp
from bot.apiclient.retry import never_sent
from bot.channels.zalo.api_server import ZaloAPIServer
from bot.channels.zalo.exceptions import ZaloNetworkError
from bot.channels.zalo.methods.base import Request
from bot.channels.zalo.session.base import BaseSession


class AiohttpSession(BaseSession):
    """Uses the process's `SharedHttp` when given one (not closed here), otherwise its own,
    closed in :meth:`close`."""

    def __init__(
        self,
        api: ZaloAPIServer | None = None,
        *,
        http: SharedHttp | None = None,
        timeout: float = 15.0,
    ) -> None:
        super().__init__(api)
        self._owned = http is None
        self._http = http or SharedHttp()
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=min(5.0, timeout))

    def _client(self) -> aiohttp.ClientSession:
        return self._http.session()

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
            raise ZaloNetworkError(
                f"{request.path}: {type(exc).__name__}", maybe_delivered=not never_sent(exc)
            ) from None

    async def close(self) -> None:
        if self._owned:
            await self._http.close()
