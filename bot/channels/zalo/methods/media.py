"""Uploads: `POST /v2.0/oa/upload/{image,gif,file}`, multipart field `file` (§2.2).

Image and gif uploads answer an `attachment_id`, files a `token`; both expire after 7 days
(using an expired one answers -100).
"""

from __future__ import annotations

from pydantic import Field

from bot.channels.zalo.methods.base import Request, Upload, ZaloMethod
from bot.channels.zalo.types.results import UploadResult


class _Upload(ZaloMethod[UploadResult]):
    __returning__ = UploadResult
    __encoding__ = "multipart"

    filename: str = Field(min_length=1, max_length=255)
    data: bytes = Field(repr=False, max_length=5 * 1024 * 1024)
    content_type: str = "application/octet-stream"

    def build_request(self) -> Request:
        upload = Upload(self.filename, self.data, self.content_type)
        return Request(
            server=self.__server__,
            http_method="POST",
            path=self.__api_path__,
            files={"file": upload},
        )


class UploadImage(_Upload):
    """jpg/png, at most 1 MB."""

    __api_path__ = "/v2.0/oa/upload/image"


class UploadGif(_Upload):
    __api_path__ = "/v2.0/oa/upload/gif"


class UploadFile(_Upload):
    """pdf/doc/docx, at most 5 MB; the answer's `token` goes in a file attachment."""

    __api_path__ = "/v2.0/oa/upload/file"
