"""What Zalo API calls return (the `data` object of `{"error": 0, "data": ...}`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from bot.channels.zalo.types.base import Id, ZaloObject


class UidQuota(ZaloObject):
    """The quota a ZBS template by UID drew on (`purchase_quota` or `reward_quota`)."""

    quota_type: str | None = None
    remain: int | None = None


class SentMessage(ZaloObject):
    message_id: Id | None = None
    user_id: Id | None = None
    quota: UidQuota | None = None  # ZBS template by UID only


class UploadResult(ZaloObject):
    """Images and gifs answer `attachment_id`, files answer `token`; both live 7 days."""

    attachment_id: Id | None = None
    token: Id | None = None


class SharedInfo(ZaloObject):
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    district: str | None = None
    user_dob: str | None = None


class UserDetail(ZaloObject):
    user_id: Id
    user_id_by_app: Id | None = None
    user_external_id: Id | None = None
    display_name: str | None = None
    user_alias: str | None = None
    avatar: str | None = None
    is_sensitive: bool | None = None
    user_is_follower: bool | None = None
    user_last_interaction_date: str | None = None  # "dd/MM/yyyy"
    shared_info: SharedInfo | None = None


class UserRef(ZaloObject):
    user_id: Id


class UserList(ZaloObject):
    total: int = 0
    count: int = 0
    offset: int = 0
    users: list[UserRef] = Field(default_factory=list, max_length=50)


class OAInfo(ZaloObject):
    oa_id: Id
    name: str | None = None
    avatar: str | None = None
    is_verified: bool | None = None
    num_follower: int | None = None
    package_name: str | None = None


class QuotaCounter(ZaloObject):
    remain: int | None = None
    total: int | None = None


class MessageQuota(ZaloObject):
    user_id: Id | None = None
    last_interaction: int | None = None  # epoch ms
    cs_reply: QuotaCounter | None = None
    promotion: QuotaCounter | None = None


class ZnsQuota(ZaloObject):
    dailyQuota: int | None = None  # wire names
    remainingQuota: int | None = None


class ZnsResult(ZaloObject):
    msg_id: Id
    sent_time: Id | None = None
    quota: ZnsQuota | None = None


class TokenPair(ZaloObject):
    """OAuth v4 reply. `expires_in` arrives as a string of seconds."""

    access_token: str
    refresh_token: str
    expires_in: int = 90000

    @field_validator("expires_in", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        return int(str(value).strip()) if value not in (None, "") else 90000
