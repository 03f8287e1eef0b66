"""Where the Zalo APIs live, as data: tests point every base URL at a loopback fake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.settings import Settings

ServerName = Literal["openapi", "oauth", "business", "graph"]


@dataclass(frozen=True, slots=True)
class ZaloAPIServer:
    """Base URLs of the four Zalo hosts a method may target (no trailing slash)."""

    openapi: str = "https://openapi.zalo.me"
    oauth: str = "https://oauth.zaloapp.com"
    business: str = "https://business.openapi.zalo.me"
    graph: str = "https://graph.zalo.me"

    @classmethod
    def from_settings(cls, settings: Settings) -> ZaloAPIServer:
        return cls(
            openapi=settings.ZALO_OPENAPI_URL.rstrip("/"),
            oauth=settings.ZALO_OAUTH_URL.rstrip("/"),
            business=settings.ZALO_BUSINESS_URL.rstrip("/"),
            graph=settings.ZALO_GRAPH_URL.rstrip("/"),
        )

    def url(self, server: ServerName, path: str) -> str:
        base: str = getattr(self, server)
        return base + "/" + path.lstrip("/")
