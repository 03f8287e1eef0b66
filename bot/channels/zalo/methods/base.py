"""Every Zalo API call is a typed method object; a session executes it.

A method names its host (`__server__`), path, HTTP verb, how its arguments travel and what
it returns. It turns itself into a transport-neutral :class:`Request` and turns Zalo's
answer into its result type or a typed exception; only the session does I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from bot.channels.zalo.api_server import ServerName
from bot.channels.zalo.exceptions import ZaloNetworkError, ZaloResponseError, error_for

T = TypeVar("T")
# `access_token`: the OA token; `secret_key`: the App Secret (OAuth); `user`: the Mini App
# user's own token, carried by the method (`user_headers`); `none`: nothing.
Auth = Literal["access_token", "secret_key", "user", "none"]
# `query`: OA style, one `data=<json>` parameter; `params`: plain query parameters (Graph).
Encoding = Literal["json", "query", "params", "form", "multipart"]


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes = field(repr=False)
    content_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP call, described; the session performs it."""

    server: ServerName
    http_method: str
    path: str
    params: dict[str, str] | None = None
    json: Any = None
    form: dict[str, str] | None = None
    files: dict[str, Upload] | None = None


@cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


class ZaloMethod(BaseModel, Generic[T]):
    """Base of all calls. Subclasses set the class variables and declare arguments as fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    __api_path__: ClassVar[str]
    __http_method__: ClassVar[Literal["GET", "POST"]] = "POST"
    __returning__: ClassVar[Any] = None
    __server__: ClassVar[ServerName] = "openapi"
    __auth__: ClassVar[Auth] = "access_token"
    __encoding__: ClassVar[Encoding] = "json"

    def arguments(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)

    def user_headers(self, app_secret: str) -> dict[str, str]:
        """`__auth__ = "user"`: the headers that carry the user's own credentials."""
        raise NotImplementedError(f"{type(self).__name__} carries no user credentials")

    def build_request(self) -> Request:
        args = self.arguments()
        server, http_method = self.__server__, self.__http_method__
        if self.__encoding__ == "params":
            plain = {k: str(v) for k, v in args.items()}
            return Request(server, http_method, self.__api_path__, params=plain or None)
        if self.__http_method__ == "GET" or self.__encoding__ == "query":
            # OA GET calls take a single `data=<json>` query parameter (§2.1).
            params = {"data": json.dumps(args, ensure_ascii=False)} if args else None
            return Request(server, http_method, self.__api_path__, params=params)
        if self.__encoding__ == "form":
            form = {k: str(v) for k, v in args.items()}
            return Request(server, http_method, self.__api_path__, form=form)
        return Request(server, http_method, self.__api_path__, json=args)

    def check_error(self, body: Any) -> dict[str, Any]:
        """The answer as an object; `error != 0` → a typed exception."""
        if not isinstance(body, dict):
            raise ZaloNetworkError(f"{self.__api_path__}: answer is not a JSON object")
        code = _code(body.get("error", 0))
        if code != 0:
            raise error_for(
                code,
                str(body.get("message") or ""),
                server=self.__server__,
                method=self.__api_path__,
            )
        return body

    def build_result(self, body: Any) -> T:
        """`{"error": 0, "data": ...}` → the result type; `error != 0` → a typed exception."""
        body = self.check_error(body)
        if self.__returning__ is None:
            return None  # type: ignore[return-value]
        try:
            result: T = _adapter(self.__returning__).validate_python(body.get("data"))
            return result
        except ValidationError as exc:
            raise ZaloResponseError(
                f"{self.__api_path__}: unexpected answer shape ({exc.error_count()} errors)"
            ) from None


def _code(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
