"""Typed Zalo API calls (aiogram-style method objects)."""

from bot.channels.zalo.methods.base import Request, Upload, ZaloMethod
from bot.channels.zalo.methods.media import UploadFile, UploadGif, UploadImage
from bot.channels.zalo.methods.messages import SendMessage
from bot.channels.zalo.methods.oa import GetMessageQuota, GetOA
from bot.channels.zalo.methods.oauth import ExchangeCode, RefreshAccessToken
from bot.channels.zalo.methods.tags import GetTags, RemoveFollowerFromTag, RemoveTag, TagFollower
from bot.channels.zalo.methods.users import GetUserDetail, GetUserList
from bot.channels.zalo.methods.zns import SendZnsTemplate

__all__ = [
    "ExchangeCode",
    "GetMessageQuota",
    "GetOA",
    "GetTags",
    "GetUserDetail",
    "GetUserList",
    "RefreshAccessToken",
    "RemoveFollowerFromTag",
    "RemoveTag",
    "Request",
    "SendMessage",
    "SendZnsTemplate",
    "TagFollower",
    "Upload",
    "UploadFile",
    "UploadGif",
    "UploadImage",
    "ZaloMethod",
]
