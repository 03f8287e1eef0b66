"""Messenger Profile API (`/me/messenger_profile`): Get Started, greeting, menu, domains."""

from __future__ import annotations

from typing import Any, Literal

from bot.channels.messenger.methods.base import GraphMethod

ProfileField = Literal[
    "get_started", "greeting", "persistent_menu", "whitelisted_domains", "ice_breakers"
]
PROFILE_FIELDS: tuple[ProfileField, ...] = (
    "get_started",
    "greeting",
    "persistent_menu",
    "whitelisted_domains",
    "ice_breakers",
)


class GetMessengerProfile(GraphMethod[dict[str, Any]]):
    """The Page's current settings for `fields`; missing fields are simply absent."""

    __http_method__ = "GET"

    fields: tuple[ProfileField, ...] = PROFILE_FIELDS

    def path(self) -> str:
        return "me/messenger_profile"

    def params(self) -> dict[str, Any]:
        return {"fields": ",".join(self.fields)}

    def build_result(self, data: Any) -> dict[str, Any]:
        items = data.get("data") if isinstance(data, dict) else None
        return dict(items[0]) if items else {}


class SetMessengerProfile(GraphMethod[bool]):
    """Set the given properties; properties left as None are not touched."""

    get_started: dict[str, Any] | None = None
    greeting: list[dict[str, Any]] | None = None
    persistent_menu: list[dict[str, Any]] | None = None
    whitelisted_domains: list[str] | None = None
    ice_breakers: list[dict[str, Any]] | None = None

    def path(self) -> str:
        return "me/messenger_profile"

    def params(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in PROFILE_FIELDS}
        return {k: v for k, v in values.items() if v is not None}

    def build_result(self, data: Any) -> bool:
        return isinstance(data, dict) and data.get("result") == "success"


class DeleteMessengerProfile(GraphMethod[bool]):
    __http_method__ = "DELETE"

    fields: tuple[ProfileField, ...]

    def path(self) -> str:
        return "me/messenger_profile"

    def params(self) -> dict[str, Any]:
        return {"fields": list(self.fields)}

    def build_result(self, data: Any) -> bool:
        return isinstance(data, dict) and data.get("result") == "success"
