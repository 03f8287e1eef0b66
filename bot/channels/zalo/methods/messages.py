"""Consultation (CS) messages: `POST /v3.0/oa/message/cs` (reference §2.2-2.3)."""

from __future__ import annotations

from bot.channels.zalo.methods.base import ZaloMethod
from bot.channels.zalo.types.outbound import Message, Recipient
from bot.channels.zalo.types.results import SentMessage


class SendMessage(ZaloMethod[SentMessage]):
    """Text, image (by URL or `attachment_id`), list, file or `request_user_info`, with
    buttons where the template takes them; `recipient.message_id` answers that message."""

    __api_path__ = "/v3.0/oa/message/cs"
    __returning__ = SentMessage

    recipient: Recipient
    message: Message
