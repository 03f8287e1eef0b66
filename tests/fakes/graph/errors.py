"""Graph API error bodies shaped like Meta's.

Graph answers most errors with HTTP 400 and puts the meaning in `code`/`error_subcode`, so
clients must classify by those, never by status; the fake does the same.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import web

# Default texts. Codes 100 and friends carry the "(#code)" prefix the real API puts in front.
DEFAULT_MESSAGES: dict[tuple[int, int | None], str] = {
    (1, None): "An unknown error has occurred.",
    (2, None): "An unexpected error has occurred. Please retry your request later.",
    (4, None): "(#4) Application request limit reached",
    (10, None): "(#10) Application does not have permission for this action",
    (10, 2018278): "(#10) This message is sent outside of allowed window.",
    (100, None): "(#100) Invalid parameter",
    (100, 2018001): "(#100) No matching user found",
    (100, 2018218): "(#100) No profile available for this user",
    (104, None): "An access token is required to request this resource.",
    (190, None): "Invalid OAuth access token.",
    (200, None): "(#200) Permissions error",
    (368, None): "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
    (551, 1545041): "(#551) This person isn't available right now.",
    (551, None): "(#551) This person isn't available right now.",
    (613, None): "(#613) Calls to this api have exceeded the rate limit.",
    (1200, None): "(#1200) Temporary send message failure. Please try again later",
}

# Codes Meta marks `is_transient: true`; a client may retry these with backoff.
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 341, 613, 1200})


def fbtrace_id() -> str:
    """A random trace id like Meta's (opaque, about 11 url-safe chars)."""
    return secrets.token_urlsafe(8)


def default_message(code: int, subcode: int | None) -> str:
    return DEFAULT_MESSAGES.get(
        (code, subcode), DEFAULT_MESSAGES.get((code, None), f"(#{code}) Fake Graph API error")
    )


class GraphError(Exception):
    """Raised anywhere in the fake; the server turns it into Meta's error body."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        subcode: int | None = None,
        *,
        http_status: int = 400,
        type_: str = "OAuthException",
        user_title: str | None = None,
        user_msg: str | None = None,
    ) -> None:
        self.code = code
        self.subcode = subcode
        self.message = message or default_message(code, subcode)
        self.http_status = http_status
        self.type = type_
        self.user_title = user_title
        self.user_msg = user_msg
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        err["is_transient"] = self.code in TRANSIENT_CODES
        if self.user_title is not None:
            err["error_user_title"] = self.user_title
        if self.user_msg is not None:
            err["error_user_msg"] = self.user_msg
        err["fbtrace_id"] = fbtrace_id()
        return {"error": err}

    def response(self) -> web.Response:
        body = self.body()
        headers = {"x-fb-trace-id": body["error"]["fbtrace_id"]}
        if self.code in (104, 190):
            headers["WWW-Authenticate"] = (
                f'OAuth "Facebook Platform" "invalid_token" "{self.message}"'
            )
        return web.Response(
            status=self.http_status,
            body=json.dumps(body).encode(),
            content_type="application/json",
            headers=headers,
        )


def bad_param(text: str, subcode: int | None = None) -> GraphError:
    """Code 100 (invalid parameter) with a message saying exactly what is wrong."""
    return GraphError(100, f"(#100) {text}", subcode)


def unsupported(method: str, node: str) -> GraphError:
    """What Graph answers for an unknown object or an edge the object does not have."""
    return GraphError(
        100,
        f"Unsupported {method.lower()} request. Object with ID '{node}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation.",
        33,
        type_="GraphMethodException",
    )
