"""Attachment Upload API: store an asset once, reuse its id for 90 days."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from bot.channels.messenger.methods.base import FilePart, GraphMethod

AttachmentType = Literal["image", "audio", "video", "file"]


class UploadAttachment(GraphMethod[str]):
    """Upload by public URL (Meta fetches it) or by bytes (multipart `filedata`).

    Returns the `attachment_id`.
    """

    type: AttachmentType = "image"
    url: str | None = None
    file: FilePart | None = None

    @model_validator(mode="after")
    def _one_source(self) -> UploadAttachment:
        if (self.url is None) == (self.file is None):
            raise ValueError("UploadAttachment needs exactly one of url or file")
        return self

    def path(self) -> str:
        return "me/message_attachments"

    def params(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"is_reusable": True}
        if self.url is not None:
            payload["url"] = self.url
        return {"message": {"attachment": {"type": self.type, "payload": payload}}}

    def files(self) -> dict[str, FilePart] | None:
        return {"filedata": self.file} if self.file is not None else None

    def build_result(self, data: Any) -> str:
        return str(data["attachment_id"])
