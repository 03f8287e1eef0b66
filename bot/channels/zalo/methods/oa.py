"""OA-level reads: `GET /v2.0/oa/getoa` and `POST /v3.0/oa/quota/message`."""

from __future__ import annotations

from typing import Literal

from bot.channels.zalo.methods.base import ZaloMethod
from bot.channels.zalo.types.results import MessageQuota, OAInfo


class GetOA(ZaloMethod[OAInfo]):
    __api_path__ = "/v2.0/oa/getoa"
    __http_method__ = "GET"
    __returning__ = OAInfo


class GetMessageQuota(ZaloMethod[MessageQuota]):
    """A user's CS window and free replies left; with `quota_owner="OA"` the OA-wide quota."""

    __api_path__ = "/v3.0/oa/quota/message"
    __returning__ = MessageQuota

    user_id: str | None = None
    quota_owner: Literal["OA"] | None = None
    product_type: str | None = None
