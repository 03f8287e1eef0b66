"""User Profile API: `GET /{psid}?fields=…` (needs Business Asset User Profile Access)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.channels.messenger.methods.base import GraphMethod

DEFAULT_FIELDS = ("first_name", "last_name", "name")


@dataclass(frozen=True, slots=True)
class UserProfile:
    id: str
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    profile_pic: str | None = None
    locale: str | None = None


class GetUserProfile(GraphMethod[UserProfile]):
    __http_method__ = "GET"

    psid: str
    fields: tuple[str, ...] = DEFAULT_FIELDS

    def path(self) -> str:
        return self.psid

    def params(self) -> dict[str, Any]:
        return {"fields": ",".join(self.fields)}

    def build_result(self, data: Any) -> UserProfile:
        def text(key: str) -> str | None:
            value = data.get(key)
            return str(value) if value not in (None, "") else None

        return UserProfile(
            id=str(data.get("id") or self.psid),
            first_name=text("first_name"),
            last_name=text("last_name"),
            name=text("name"),
            profile_pic=text("profile_pic"),
            locale=text("locale"),
        )
