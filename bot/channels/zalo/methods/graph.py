"""The Zalo Graph calls a Mini App backend makes (shared/reference/zalo.md §6).

`GET /v2.0/me` checks the Mini App's access token and gives the app-scoped user id, the only
id we trust; `GET /v2.0/me/info` turns a one-time phone token into the number. The user's
token travels in headers with its `appsecret_proof` (or the App Secret for the phone), as
the official SDKs send them; Graph answers errors with HTTP 200 and a non-zero `error`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.apiclient.proof import appsecret_proof
from bot.channels.zalo.exceptions import ZaloResponseError
from bot.channels.zalo.methods.base import Auth, Encoding, ZaloMethod


class GraphUser(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str = ""
    name: str | None = None
    picture: Any = None

    @property
    def picture_url(self) -> str | None:
        pic = self.picture
        if isinstance(pic, dict) and isinstance(pic.get("data"), dict):
            url = pic["data"].get("url")
            return str(url) if url else None
        return None


class PhoneInfo(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    number: str = ""


class GetMiniAppUser(ZaloMethod[GraphUser]):
    """The user behind a Mini App access token."""

    __api_path__ = "v2.0/me"
    __http_method__ = "GET"
    __server__ = "graph"
    __auth__: ClassVar[Auth] = "user"
    __encoding__: ClassVar[Encoding] = "params"
    __returning__ = GraphUser

    access_token: str = Field(exclude=True, repr=False)
    fields: str = "id,name,picture"

    def user_headers(self, app_secret: str) -> dict[str, str]:
        return {
            "access_token": self.access_token,
            "appsecret_proof": appsecret_proof(app_secret, self.access_token),
        }

    def build_result(self, body: Any) -> GraphUser:
        checked = self.check_error(body)
        try:
            return GraphUser.model_validate(checked)  # /me answers at the top level
        except ValidationError:
            raise ZaloResponseError(f"{self.__api_path__}: unexpected answer shape") from None


class GetPhoneNumber(ZaloMethod[PhoneInfo]):
    """The number behind a one-time `getPhoneNumber` token (valid once, two minutes)."""

    __api_path__ = "v2.0/me/info"
    __http_method__ = "GET"
    __server__ = "graph"
    __auth__: ClassVar[Auth] = "user"
    __encoding__: ClassVar[Encoding] = "params"
    __returning__ = PhoneInfo

    access_token: str = Field(exclude=True, repr=False)
    code: str = Field(exclude=True, repr=False)

    def user_headers(self, app_secret: str) -> dict[str, str]:
        return {"access_token": self.access_token, "code": self.code, "secret_key": app_secret}
