"""Graph API errors, classified by `code` and `error_subcode` (never by HTTP status).

Graph answers almost every error with HTTP 400 and puts the meaning in the body, so each
failure is mapped once, here, to what the bot should do about it: alert, skip, stop sending
to the person, or retry later.
"""

from __future__ import annotations

from typing import Any, ClassVar

# Subcodes and codes from shared/reference/messenger.md §2.
TOKEN_CODES = frozenset({102, 190})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
TRANSIENT_CODES = frozenset({1, 2, 1200})
PERMISSION_CODES = frozenset({10, 200, 230})
SUBCODE_OUTSIDE_WINDOW = 2018278
SUBCODE_USER_UNAVAILABLE = 1545041
SUBCODE_NO_PROFILE = 2018218
SUBCODE_NO_MATCHING_USER = 2018001
SUBCODE_DEV_MODE_USER = 2018108
SUBCODES_SKIP = frozenset({2018354, 2018352, 2300052})  # marketing frequency, user too busy


class MessengerError(Exception):
    """Base of everything the Messenger client raises."""

    transient: ClassVar[bool] = False  # the outbox should keep the message and retry later
    retry_in_call: bool = False  # worth a quick retry inside the same call


class GraphNetworkError(MessengerError):
    """No usable answer: timeout, connection error, or a non-JSON body from a proxy.

    `maybe_delivered`: the request may have reached Graph; not retried inside the call.
    """

    transient = True

    def __init__(self, reason: str, *, maybe_delivered: bool = True) -> None:
        super().__init__(reason)
        self.maybe_delivered = maybe_delivered
        self.retry_in_call = not maybe_delivered


class GraphAPIError(MessengerError):
    """An error body from Graph; subclasses say what to do about it."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int = 400,
        error_type: str = "",
        fbtrace_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.error_type = error_type
        self.fbtrace_id = fbtrace_id

    def __str__(self) -> str:
        sub = f"/{self.subcode}" if self.subcode is not None else ""
        trace = f" (fbtrace_id {self.fbtrace_id})" if self.fbtrace_id else ""
        return f"Graph error {self.code}{sub}: {self.message}{trace}"


class InvalidTokenError(GraphAPIError):
    """The Page token is expired or revoked: an operator must act, retrying is useless."""


class OutsideWindowError(GraphAPIError):
    """The person's 24-hour window is closed and the message carried no allowed tag."""


class UserUnavailableError(GraphAPIError):
    """The person blocked the Page, deleted their account, or the PSID is unknown."""


class RateLimitError(GraphAPIError):
    """Too many calls: back off and try again."""

    transient = True


class TransientGraphError(GraphAPIError):
    """Graph says it failed temporarily (or answered 5xx): try again later."""

    transient = True
    retry_in_call = True


class PermissionDeniedError(GraphAPIError):
    """The app lacks a permission or feature (configuration, not a bug in the message)."""


class NoProfileError(GraphAPIError):
    """The person has no readable profile (phone-registered account, 2018218)."""


class SkippedByPolicyError(GraphAPIError):
    """Meta refused for a policy reason that goes away by itself (frequency caps)."""


class BadRequestError(GraphAPIError):
    """An invalid parameter: a bug in what we sent, never retried."""


def error_class(code: int | None, subcode: int | None, http_status: int) -> type[GraphAPIError]:
    """Pick the class for a Graph error: subcode first, then code, then HTTP status."""
    if subcode == SUBCODE_OUTSIDE_WINDOW:
        return OutsideWindowError
    if subcode == SUBCODE_USER_UNAVAILABLE or code == 551:
        return UserUnavailableError
    if subcode == SUBCODE_NO_MATCHING_USER:
        return UserUnavailableError
    if subcode == SUBCODE_NO_PROFILE:
        return NoProfileError
    if subcode in SUBCODES_SKIP:
        return SkippedByPolicyError
    if code in TOKEN_CODES:
        return InvalidTokenError
    if code in RATE_LIMIT_CODES:
        return RateLimitError
    if code in TRANSIENT_CODES:
        return TransientGraphError
    if code in PERMISSION_CODES or subcode == SUBCODE_DEV_MODE_USER:
        return PermissionDeniedError
    if code != 100 and (http_status >= 500 or http_status == 429):
        # No code, or one we do not know, on a 5xx/429: Graph itself is in trouble.
        return TransientGraphError
    return BadRequestError


def from_response(http_status: int, body: Any) -> GraphAPIError:
    """Build the right error from a decoded Graph answer that carries `error`."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return error_class(None, None, http_status)(
            f"HTTP {http_status} without a Graph error body", http_status=http_status
        )
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    cls = error_class(code, subcode, http_status)
    return cls(
        str(error.get("message") or "unknown Graph error"),
        code=code,
        subcode=subcode,
        http_status=http_status,
        error_type=str(error.get("type") or ""),
        fbtrace_id=error.get("fbtrace_id"),
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
