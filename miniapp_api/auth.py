"""Who is calling: Mini App session tokens (members) and the admin API key (POS, staff).

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

import jwt
from aiohttp import web

from bot.appkeys import KV, SETTINGS
from bot.backends.ratelimit import RateLimiter
from bot.settings import Settings
from bot.web.problems import ApiError
from loyalty import members
from loyalty.errors import MemberNotFound
from loyalty.models import Member

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


def check_admin(request: web.Request) -> None:
    """`X-Api-Key` must equal ADMIN_API_KEY (constant-time); no key configured = disabled."""
    expected = request.app[SETTINGS].ADMIN_API_KEY
    if not expected:
        raise ApiError(403, "admin_disabled", "the admin API is disabled: set ADMIN_API_KEY")
    given = request.headers.get("X-Api-Key", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "invalid_api_key", "missing or wrong X-Api-Key header")


# --- the member's Zalo access token, kept server-side per session -------------------------
def _zalo_key(session: Session) -> str:
    return f"miniapp:zalo_token:{session.jti}"


async def remember_zalo_token(request: web.Request, session: Session, access_token: str) -> None:
    ttl = max(1.0, (session.expires_at - datetime.now(UTC)).total_seconds())
    await request.app[KV].set(_zalo_key(session), access_token, ttl=ttl)


async def recall_zalo_token(request: web.Request, session: Session) -> str | None:
    return await request.app[KV].get(_zalo_key(session))
