"""Typed Zalo failures, one class per way the caller must react.

Zalo answers API errors with HTTP 200 and `error != 0` (reference §2.5, ZNS §5), so the
class is chosen from the code, not from the HTTP status:

* token → refresh once, retry once;
* transient (rate limit, generic send failure, HTTP 5xx, timeouts) → retry with backoff;
* quota and night → retry much later (the outbox's job, not a quick in-call retry);
* parameter, attachment, setup, rejected → never retried as is;
* recipient → never retried: the member is unreachable on Zalo for the stated reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar

VN = timezone(timedelta(hours=7))
NIGHT_ENDS_HOUR = 6  # promotional sends are refused 22:00-06:00 Vietnam time


class ZaloError(Exception):
    """Base of everything the Zalo client raises."""

    retry_in_call: bool = False  # worth a quick retry inside the same call


class ZaloNetworkError(ZaloError):
    """No usable answer: connection refused or reset, timeout, HTTP 5xx or 429, not JSON.

    `maybe_delivered`: the request may have reached Zalo (a timeout, a reset, a 5xx); such a
    call is not retried inside the call (`bot.apiclient.retry`).
    """

    def __init__(self, reason: str, *, status: int = 0, maybe_delivered: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.maybe_delivered = maybe_delivered
        self.retry_in_call = not maybe_delivered


class ZaloResponseError(ZaloError):
    """A success answer in a shape we cannot read: not retried (the call may have worked)."""


class ZaloHTTPError(ZaloError):
    """An unexpected HTTP status other than 5xx/429 (e.g. 404 from a wrong base URL)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status


class ZaloAPIError(ZaloError):
    """HTTP 200 with `error != 0`; unknown codes land here and are not retried."""

    kind: ClassVar[str] = "other"

    def __init__(self, code: int, message: str, *, method: str = "") -> None:
        super().__init__(f"zalo {code}: {message}" + (f" ({method})" if method else ""))
        self.code = code
        self.message = message
        self.method = method

    @property
    def reason(self) -> str:
        """Short, secret-free text for logs and the outbox (`zalo -230: ...`)."""
        return f"zalo {self.code}: {self.message}"[:250]


class ZaloTokenError(ZaloAPIError):
    """The access token is invalid, expired or rotated out: refresh once, retry once."""

    kind = "token"


class ZaloTransientError(ZaloAPIError):
    """Rate limited or a generic failure on Zalo's side: back off and try again."""

    kind = "transient"
    retry_in_call = True
    retry_after: float | None = None


class ZaloQuotaError(ZaloTransientError):
    """A daily/monthly quota is used up: retry much later, not inside the call."""

    kind = "quota"
    retry_in_call = False
    retry_after = 3600.0


class ZaloNightError(ZaloAPIError):
    """Promotional sends are blocked at night: reschedule for the morning (Vietnam time)."""

    kind = "night"

    @property
    def retry_after(self) -> float:
        return seconds_until_morning()


class ZaloAttachmentError(ZaloAPIError):
    """An upload id expired (7 days) or is unknown: it must be uploaded again."""

    kind = "attachment"


class ZaloParameterError(ZaloAPIError):
    """The request itself is wrong (bad value, over a limit, wrong type): a bug to fix."""

    kind = "parameter"


class ZaloRecipientError(ZaloAPIError):
    """The user cannot get this message (not a follower, blocked, no interaction in 7 days).

    Never retried; the member is marked unreachable on Zalo with this reason.
    """

    kind = "recipient"


class ZaloSetupError(ZaloAPIError):
    """The OA or app is not set up for this call: a human must fix the configuration."""

    kind = "setup"


class ZaloRejectedError(ZaloAPIError):
    """Refused for good (API shut down, policy): not retried."""

    kind = "rejected"


class ZaloOAuthError(ZaloError):
    """The token endpoint gave no `access_token` (dead refresh token, wrong secret)."""

    def __init__(self, code: object, name: str, reason: str) -> None:
        super().__init__(f"oauth {code}: {name} {reason}".strip())
        self.code = code
        self.name = name
        self.reason = reason


class ZaloTokenUnavailable(ZaloError):
    """No usable access token: none configured, or the refresh failed and needs a re-grant."""


# OA Open API codes, reference §2.5.
OPENAPI_CODES: dict[int, type[ZaloAPIError]] = {
    -216: ZaloTokenError,
    -220: ZaloTokenError,
    -32: ZaloTransientError,
    -200: ZaloTransientError,
    -100: ZaloAttachmentError,
    -234: ZaloNightError,
    -201: ZaloParameterError,
    -210: ZaloParameterError,
    -233: ZaloParameterError,
    -213: ZaloRecipientError,
    -217: ZaloRecipientError,
    -227: ZaloRecipientError,
    -230: ZaloRecipientError,
    -232: ZaloRecipientError,
    -244: ZaloRecipientError,
    -204: ZaloSetupError,
    -205: ZaloSetupError,
    -209: ZaloSetupError,
    -212: ZaloSetupError,
    -219: ZaloSetupError,
    -221: ZaloSetupError,
    -223: ZaloSetupError,
    -224: ZaloSetupError,
    -242: ZaloSetupError,
    -320: ZaloSetupError,
    -321: ZaloSetupError,
    -211: ZaloQuotaError,
    -218: ZaloQuotaError,
    # ZBS by UID (/v3.0/oa/message/template) reports the ZNS quota codes (outreach.md §2)
    -144: ZaloQuotaError,
    -1441: ZaloQuotaError,
    -1471: ZaloQuotaError,
    -147: ZaloQuotaError,
    -133: ZaloNightError,
    -240: ZaloRejectedError,
    -248: ZaloRejectedError,
}

# ZNS codes, reference §5 (business.openapi.zalo.me).
ZNS_CODES: dict[int, type[ZaloAPIError]] = {
    -124: ZaloTokenError,
    -32: ZaloTransientError,
    -108: ZaloParameterError,
    -109: ZaloParameterError,
    -1121: ZaloParameterError,
    -1122: ZaloParameterError,
    -114: ZaloRecipientError,
    -118: ZaloRecipientError,
    -139: ZaloRecipientError,
    -115: ZaloQuotaError,
    -144: ZaloQuotaError,
    -1441: ZaloQuotaError,
    -147: ZaloQuotaError,
    -133: ZaloNightError,
    -1241: ZaloSetupError,
    -131: ZaloSetupError,
}

# Recipient codes that a new interaction from the user cures (window, follow state).
CURED_BY_INTERACTION = frozenset({-213, -230, -232})


def error_for(
    code: int, message: str, *, server: str = "openapi", method: str = ""
) -> ZaloAPIError:
    """The typed exception for a Zalo error code."""
    table = ZNS_CODES if server == "business" else OPENAPI_CODES
    cls = table.get(code, ZaloAPIError)
    return cls(code, message, method=method)


def seconds_until_morning(now: datetime | None = None) -> float:
    """Seconds until the next 06:00 Vietnam time (a few minutes past, to be safe)."""
    now = (now or datetime.now(UTC)).astimezone(VN)
    morning = now.replace(hour=NIGHT_ENDS_HOUR, minute=5, second=0, microsecond=0)
    if morning <= now:
        morning += timedelta(days=1)
    return (morning - now).total_seconds()
