"""ZNS / ZBS template message by phone: `POST business.openapi.zalo.me/message/template`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from bot.channels.zalo.methods.base import ZaloMethod
from bot.channels.zalo.types.results import SentMessage, ZnsResult


class SendZnsTemplate(ZaloMethod[ZnsResult]):
    """`phone` in the international form `84…`; `mode="development"` reaches admins only."""

    __api_path__ = "/message/template"
    __server__ = "business"
    __returning__ = ZnsResult

    phone: str = Field(pattern=r"^84\d{9,10}$")
    template_id: str = Field(min_length=1)
    template_data: dict[str, Any]
    tracking_id: str | None = Field(None, max_length=48)
    mode: Literal["development"] | None = None


class SendTemplateByUid(ZaloMethod[SentMessage]):
    """ZBS template by Zalo user id (`POST openapi.zalo.me/v3.0/oa/message/template`): only
    for templates approved on or after 2025-12-10; no tracking_id; answers `message_id`.
    This replaced the UID transaction/promotion routes shut down on 2026-03-01."""

    __api_path__ = "/v3.0/oa/message/template"
    __returning__ = SentMessage

    user_id: str = Field(min_length=1)
    template_id: str = Field(min_length=1)
    template_data: dict[str, Any]
