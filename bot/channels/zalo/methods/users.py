"""Followers: `GET /v3.0/oa/user/detail` and `GET /v3.0/oa/user/getlist` (`data=` JSON)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.channels.zalo.methods.base import ZaloMethod
from bot.channels.zalo.types.results import UserDetail, UserList


class GetUserDetail(ZaloMethod[UserDetail]):
    """Name, app-scoped id, follower state, tags: webhooks carry no sender name."""

    __api_path__ = "/v3.0/oa/user/detail"
    __http_method__ = "GET"
    __returning__ = UserDetail

    user_id: str


class GetUserList(ZaloMethod[UserList]):
    """A page of followers/contacts; `last_interaction_period` is TODAY, L7D, L30D or
    `yyyy_mm_dd:yyyy_mm_dd`."""

    __api_path__ = "/v3.0/oa/user/getlist"
    __http_method__ = "GET"
    __returning__ = UserList

    offset: int = Field(0, ge=0, le=9951)
    count: int = Field(50, ge=1, le=50)
    tag_name: str | None = None
    last_interaction_period: str | None = None
    is_follower: Literal["true", "false"] | bool | None = None
