"""Typed Graph API method objects; `await client(method)` executes one."""

from bot.channels.messenger.methods.base import FilePart, GraphMethod
from bot.channels.messenger.methods.profile_api import (
    PROFILE_FIELDS,
    DeleteMessengerProfile,
    GetMessengerProfile,
    SetMessengerProfile,
)
from bot.channels.messenger.methods.send import (
    SendAction,
    SendMessage,
    SendResult,
    method_from_payload,
)
from bot.channels.messenger.methods.upload import UploadAttachment
from bot.channels.messenger.methods.user import GetUserProfile, UserProfile

__all__ = [
    "PROFILE_FIELDS",
    "DeleteMessengerProfile",
    "FilePart",
    "GetMessengerProfile",
    "GetUserProfile",
    "GraphMethod",
    "SendAction",
    "SendMessage",
    "SendResult",
    "SetMessengerProfile",
    "UploadAttachment",
    "UserProfile",
    "method_from_payload",
]
