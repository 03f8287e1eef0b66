"""`SharedHttp`: one aiohttp client session for all of a process's outbound calls."""

from __future__ import annotations

import aiohttp

USER_AGENT = "zalo-loyalty-bot/0.1"


class SharedHttp:
    """Opened on first use (aiohttp wants its session made inside the running loop), so
    the clients that share it can be built before the process starts; closed once."""

    def __init__(self, *, total: float = 20.0, connect: float = 5.0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=total, connect=connect)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"User-Agent": USER_AGENT}
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
