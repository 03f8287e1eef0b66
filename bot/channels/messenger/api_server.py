"""Where the Graph API lives, as data: tests point the base URL at a loopback fake."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings


@dataclass(frozen=True, slots=True)
class GraphAPIServer:
    """Graph base URL (no trailing slash) and the pinned API version (`v25.0`)."""

    base: str = "https://graph.facebook.com"
    version: str = "v25.0"

    @classmethod
    def from_settings(cls, settings: Settings) -> GraphAPIServer:
        return cls(base=settings.FB_GRAPH_URL.rstrip("/"), version=settings.FB_GRAPH_VERSION)

    def url(self, path: str) -> str:
        """`url("me/messages")` → `https://graph.facebook.com/v25.0/me/messages`."""
        return f"{self.base}/{self.version}/{path.lstrip('/')}"
