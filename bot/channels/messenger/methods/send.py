"""Send API: messages and sender actions (`POST /me/messages`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.channels.messenger.methods.base import GraphMethod

MessagingType = Literal["RESPONSE", "UPDATE", "MESSAGE_TAG", "UTILITY"]  # UTILITY: a template
SenderAction = Literal["typing_on", "typing_off", "mark_seen"]


@dataclass(frozen=True, slots=True)
class SendResult:
    recipient_id: str | None
    message_id: str | None
    attachment_id: str | None = None  # set when an image was sent by URL with is_reusable


def _send_result(data: Any) -> SendResult:
    data = data if isinstance(data, dict) else {}
    return SendResult(
        recipient_id=_opt_str(data.get("recipient_id")),
        message_id=_opt_str(data.get("message_id")),
        attachment_id=_opt_str(data.get("attachment_id")),
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


class SendMessage(GraphMethod[SendResult]):
    """One message (text or attachment, optional quick replies) to one PSID."""

    recipient_id: str
    message: dict[str, Any]
    messaging_type: MessagingType = "RESPONSE"
    tag: str | None = None
    notification_type: str | None = None

    def path(self) -> str:
        return "me/messages"

    def params(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "recipient": {"id": self.recipient_id},
            "messaging_type": self.messaging_type,
            "message": self.message,
        }
        if self.tag is not None:
            body["tag"] = self.tag
        if self.notification_type is not None:
            body["notification_type"] = self.notification_type
        return body

    def build_result(self, data: Any) -> SendResult:
        return _send_result(data)


class SendAction(GraphMethod[SendResult]):
    """`typing_on`, `typing_off` or `mark_seen`; Graph wants these as their own request."""

    recipient_id: str
    action: SenderAction

    def path(self) -> str:
        return "me/messages"

    def params(self) -> dict[str, Any]:
        return {"recipient": {"id": self.recipient_id}, "sender_action": self.action}

    def build_result(self, data: Any) -> SendResult:
        return _send_result(data)


def method_from_payload(payload: dict[str, Any]) -> SendMessage | SendAction:
    """Rebuild the typed method from a stored outbox payload (a Send API body)."""
    recipient = str((payload.get("recipient") or {}).get("id") or "")
    if "sender_action" in payload:
        return SendAction(recipient_id=recipient, action=payload["sender_action"])
    return SendMessage(
        recipient_id=recipient,
        message=payload["message"],
        messaging_type=payload.get("messaging_type", "RESPONSE"),
        tag=payload.get("tag"),
        notification_type=payload.get("notification_type"),
    )
