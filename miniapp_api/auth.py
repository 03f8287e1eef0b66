"""Who is calling: Mini App session tokens (members) and admin API keys as an `Actor`.

Session tokens are JWTs (HS256, audience `miniapp`, `sub` = the member id, `exp`, and a
`jti`) signed with a 32-byte key derived from `settings.session_secret()` for sessions only
(QR tokens derive their own), so an operator's short secret still gives a full-length HMAC
key and a token of one kind is never valid as the other. They carry nothing secret: the
member's Zalo access token, needed later to resolve a phone token, stays on the server in the
key-value store under the session's `jti` (see `remember_zalo_token`), never inside the
client-visible token.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
from aiohttp import web

from bot.appkeys import KV, SETTINGS
from bot.backends.ratelimit import RateLimiter
from bot.settings import Settings
from bot.web.problems import ApiError
from loyalty import members
from loyalty.errors import MemberNotFound
from loyalty.models import Member
from loyalty.phone import mask_phone

AUDIENCE = "miniapp"
ALGORITHM = "HS256"
RATE_WINDOW_SECONDS = 60


def session_key(settings: Settings) -> bytes:
    return hashlib.sha256(b"miniapp-session\x00" + settings.session_secret().encode()).digest()


@dataclass(frozen=True, slots=True)
class Session:
    member_id: int
    jti: str
    expires_at: datetime


def issue_session(
    settings: Settings, member_id: int, now: datetime | None = None
) -> tuple[str, Session]:
    """A signed session token for `member_id`, valid `SESSION_TTL_SECONDS`."""
    now = now or datetime.now(UTC)
    expires_at = (now + timedelta(seconds=settings.SESSION_TTL_SECONDS)).replace(microsecond=0)
    jti = secrets.token_urlsafe(16)
    claims = {
        "sub": str(member_id),
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": jti,
    }
    token = jwt.encode(claims, session_key(settings), algorithm=ALGORITHM)
    return token, Session(member_id, jti, expires_at)


def read_session(settings: Settings, token: str) -> Session:
    """Verify signature, audience and expiry; any failure is a 401 problem."""
    try:
        claims = jwt.decode(
            token,
            session_key(settings),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "aud", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("session_expired", "the session has expired: sign in again") from None
    except jwt.PyJWTError:
        raise _unauthorized("invalid_session", "the session token is not valid") from None
    sub = str(claims["sub"])
    if not sub.isdigit() or len(sub) > 19:
        raise _unauthorized("invalid_session", "the session token is not valid")
    expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    return Session(int(sub), str(claims["jti"]), expires_at)


def _unauthorized(code: str, detail: str) -> ApiError:
    return ApiError(401, code, detail, headers={"WWW-Authenticate": 'Bearer realm="miniapp"'})


def bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("missing_session", "send Authorization: Bearer <session token>")
    return token.strip()


async def authenticate_member(request: web.Request) -> tuple[Member, Session]:
    """The live member behind the bearer token (merges followed), rate limited per member."""
    session = read_session(request.app[SETTINGS], bearer_token(request))
    try:
        member = await members.resolve(session.member_id)
    except MemberNotFound:
        raise _unauthorized("invalid_session", "the session's member no longer exists") from None
    if member.erased_at is not None:  # erased: the person signs in again as a new member
        raise _unauthorized("invalid_session", "the session's member no longer exists")
    await check_rate(request, member.id)
    return member, session


async def check_rate(request: web.Request, member_id: int) -> None:
    limiter = RateLimiter(request.app[KV], prefix="api:member")
    key = str(member_id)
    limit = request.app[SETTINGS].MEMBER_RATE_LIMIT_PER_MINUTE
    if await limiter.hit(key, limit, RATE_WINDOW_SECONDS):
        return
    wait = max(1, math.ceil(await limiter.retry_after(key)))
    raise ApiError(
        429,
        "rate_limited",
        f"more than {limit} requests a minute: retry in {wait} s",
        headers={"Retry-After": str(wait)},
        retry_after=wait,
    )


# --- admin callers: API keys (and, later, console sessions) as an Actor -----------------
Role = Literal["owner", "manager", "staff", "member"]
ROLE_RANK: dict[str, int] = {"member": 0, "staff": 1, "manager": 2, "owner": 3}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling the admin API: an API key or a console user, with one role.

    `ADMIN_API_KEY` is the owner; `ADMIN_API_KEYS` adds keys with narrower roles. The console
    (a session middleware) sets `request[ACTOR_KEY] = Actor("user", <user id>, <role>)` before
    the view runs, and every role check and audit entry reads the same object. An API key's
    `id` is a fingerprint (`key:` + 8 hex of its SHA-256): the audit log names the key
    without holding it. A member acting on their own data (export, erasure from the Mini
    App) is `Actor("member", "member:<id>", "member")` in the audit log.
    """

    kind: Literal["api_key", "user", "member"]
    id: str
    role: Role

    def at_least(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @classmethod
    def member(cls, member_id: int) -> Actor:
        return cls("member", f"member:{member_id}", "member")


def visible_phone(actor: Actor, phone: str | None, *, in_front: bool) -> str | None:
    """The phone as this caller may see it: managers and owners see it whole; staff only for
    the member in front of them (found by a scanned QR or the number they typed), masked
    (`0912***678`) otherwise."""
    if phone is None or in_front or actor.at_least("manager"):
        return phone
    return mask_phone(phone)


ACTOR_KEY = web.RequestKey("admin_actor", Actor)  # the Actor of an admin request


def key_fingerprint(key: str) -> str:
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:8]


def _configured_keys(settings: Settings) -> list[tuple[Role, str]]:
    keys: list[tuple[Role, str]] = []
    if settings.ADMIN_API_KEY:
        keys.append(("owner", settings.ADMIN_API_KEY))
    keys.extend((role, key) for role, key in settings.ADMIN_API_KEYS)  # type: ignore[misc]
    return keys


def match_api_key(settings: Settings, given: str) -> Actor | None:
    """The Actor of `given`, comparing it with every configured key in constant time (the
    digests are compared, so neither the key's length nor which key matched shows in the
    timing)."""
    given_digest = hashlib.sha256(given.encode()).digest()
    found: Actor | None = None
    for role, key in _configured_keys(settings):
        if hmac.compare_digest(given_digest, hashlib.sha256(key.encode()).digest()):
            found = Actor("api_key", key_fingerprint(key), role)
    return found if given else None


def check_admin(request: web.Request) -> Actor:
    """The caller's Actor: one a console session already set, else `X-Api-Key` matched
    against the configured keys. No key configured = admin API disabled (403)."""
    already = request.get(ACTOR_KEY)
    if isinstance(already, Actor):
        return already
    settings = request.app[SETTINGS]
    if not _configured_keys(settings):
        raise ApiError(403, "admin_disabled", "the admin API is disabled: set ADMIN_API_KEY")
    actor = match_api_key(settings, request.headers.get("X-Api-Key", ""))
    if actor is None:
        raise ApiError(401, "invalid_api_key", "missing or wrong X-Api-Key header")
    request[ACTOR_KEY] = actor
    return actor


def actor_of(request: web.Request) -> Actor:
    """The Actor `check_admin` found for this request (admin routes only)."""
    actor = request.get(ACTOR_KEY)
    assert isinstance(actor, Actor), "route is not declared with auth='admin'"
    return actor


def require_role(request: web.Request, role: Role) -> Actor:
    """403 `forbidden_role` unless the caller's role is at least `role`."""
    actor = actor_of(request)
    if not actor.at_least(role):
        raise ApiError(
            403, "forbidden_role", f"this needs the {role} role (this caller is {actor.role})"
        )
    return actor


# --- the member's Zalo access token, kept server-side per session -------------------------
def _zalo_key(session: Session) -> str:
    return f"miniapp:zalo_token:{session.jti}"


async def remember_zalo_token(request: web.Request, session: Session, access_token: str) -> None:
    ttl = max(1.0, (session.expires_at - datetime.now(UTC)).total_seconds())
    await request.app[KV].set(_zalo_key(session), access_token, ttl=ttl)


async def recall_zalo_token(request: web.Request, session: Session) -> str | None:
    return await request.app[KV].get(_zalo_key(session))
