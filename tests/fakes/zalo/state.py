"""State records, error codes and reply helpers shared by the fake Zalo handlers.

Everything here is plain data so tests can read it directly (`fake.sent[-1].billed`).
Error codes follow shared/reference/zalo.md §2.5, §5 and §6; codes the reference does not
pin down carry an "unconfirmed" note where they are defined.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

SECOND_MS = 1000
HOUR_MS = 3600 * SECOND_MS
DAY_MS = 24 * HOUR_MS

ACCESS_TOKEN_TTL_S = 90000  # 25 h; what `expires_in` announces (as a string)
REFRESH_TOKEN_TTL_MS = 90 * DAY_MS  # "3 months"
AUTH_CODE_TTL_MS = 10 * 60 * SECOND_MS
ATTACHMENT_TTL_MS = 7 * DAY_MS
PHONE_CODE_TTL_MS = 120 * SECOND_MS
CS_WINDOW_MS = 7 * DAY_MS
CS_FREE_MS = 48 * HOUR_MS

# --- OA Open API (§2.5) -------------------------------------------------------------------
E_RATE_LIMIT = -32
E_ATTACHMENT = -100  # attachment id/token unknown or expired: re-upload
E_PARAM = -201
E_NOT_FOLLOWER = -213  # also used for a user_id the OA has never seen
E_TOKEN_INVALID = -216
E_TOKEN_EXPIRED = -220  # "expired or removed": also what a rotated-out token gets
E_USER_BANNED = -227  # `blocked` flag
E_NO_INTERACTION = -230
E_V2_SHUT = -240
E_USER_RESTRICTED = -244  # `restricted` flag

# --- OAuth v4 (§3). -14014 is what integrations see for a dead refresh token. The other two
# are unconfirmed; clients must key on the missing `access_token`, not on the number.
E_OAUTH_REFRESH = -14014
E_OAUTH_SECRET = -14001  # unconfirmed
E_OAUTH_PARAM = -14003  # unconfirmed
E_OAUTH_CODE = -14019  # unconfirmed

# --- Graph (§6). 452 "Session key invalid" is what graph.zalo.me answers a bad token. ---
E_GRAPH_TOKEN = 452
E_GRAPH_PROOF = -1241  # unconfirmed for Graph (ZNS uses it for a bad appsecret_proof)
E_GRAPH_CODE = -201  # phone code unknown, used or expired; unconfirmed
E_GRAPH_SECRET = -124  # wrong secret_key on /me/info; unconfirmed

# --- ZNS (§5) ----------------------------------------------------------------------------
E_ZNS_PHONE = -108
E_ZNS_TEMPLATE = -109
E_ZNS_TOKEN = -124
E_ZNS_PARAM_LONG = -1121
E_ZNS_PARAM_MISSING = -1122
E_ZNS_QUOTA = -144


def new_id(digits: int = 19) -> str:
    """A Zalo-looking numeric id. Kept as a string: real ids exceed 2^53."""
    return str(secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1))


def new_msg_id() -> str:
    """20 lowercase hex characters, the shape of Zalo message ids."""
    return secrets.token_hex(10)


def dumps(obj: Any) -> str:
    """Vietnamese stays raw UTF-8, like Zalo's own replies and webhook bodies."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def reply(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=dumps)


def ok(data: Any) -> web.Response:
    return reply({"error": 0, "message": "Success", "data": data})


def err(code: int, message: str) -> web.Response:
    """Zalo reports API errors with HTTP 200 and a non-zero `error`."""
    return reply({"error": code, "message": message})


@dataclass(slots=True)
class FakeUser:
    """An OA follower/contact as the fake OA sees it."""

    user_id: str  # OA-scoped id: what /cs takes
    display_name: str
    user_id_by_app: str  # App-scoped id: equals the Mini App `id` (§6)
    is_follower: bool = True
    last_interaction: int = 0  # epoch ms
    blocked: bool = False  # sends get -227
    restricted: bool = False  # sends get -244
    avatar: str = ""
    tags: set[str] = field(default_factory=set)
    shared_info: dict[str, str] | None = None  # filled by user_submit_info


@dataclass(slots=True)
class SentMessage:
    """One message the fake accepted on /v3.0/oa/message/cs."""

    recipient: dict[str, Any]
    user_id: str
    message: dict[str, Any]
    message_id: str
    at: int  # epoch ms (fake clock)
    billed: bool  # sent 48 h - 7 d after the user's last interaction
    is_reply: bool  # carried recipient.message_id (counts as a reply, §2.3)

    @property
    def text(self) -> str | None:
        return self.message.get("text")


@dataclass(slots=True)
class ZnsMessage:
    phone: str | None
    template_id: str
    template_data: dict[str, Any]
    tracking_id: str | None
    msg_id: str
    sent_time: int
    mode: str | None
    user_id: str | None = None  # ZBS by UID (`/v3.0/oa/message/template`)


@dataclass(slots=True)
class Attachment:
    """An upload: `kind` is image, gif or file (file ids are called `token`)."""

    id: str
    kind: str
    filename: str
    content_type: str
    size: int
    created: int
    expired: bool = False


@dataclass(slots=True)
class AccessToken:
    token: str
    expires: int  # epoch ms
    revoked: bool = False  # rotated out by a refresh
    expired: bool = False  # forced by expire_access_token()


@dataclass(slots=True)
class RefreshToken:
    token: str
    expires: int
    access: str  # the access token issued with it: revoked when this one is used
    used: bool = False


@dataclass(slots=True)
class PhoneCode:
    code: str
    access_token: str
    phone: str
    created: int
    used: bool = False


@dataclass(slots=True)
class RecordedRequest:
    """Every call the fake received, faults included."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]  # case-insensitive, like the wire
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def data(self) -> Any:
        """The decoded `data=` query parameter of an OA GET call."""
        return json.loads(self.query["data"]) if "data" in self.query else None


@dataclass(slots=True)
class Fault:
    """An injected failure consumed by the next matching request(s)."""

    times: int
    path: str | None
    error_code: int | None = None  # HTTP 200 + {"error": code}
    status: int | None = None  # a bare HTTP status

    def matches(self, path: str) -> bool:
        return self.times > 0 and (self.path is None or path == self.path)
