"""Member QR tokens: short-lived signed tokens staff scan at the counter.

A screenshot of someone's card stops working within about a minute. The token is a JWT
(HS256) signed with a key derived from the session secret for this purpose only, with its
own audience: a Mini App session token signed with the same secret is not accepted here, and
a QR token is not a session. Each token has a `jti` so a caller that wants one-time use can
remember the ids it has seen.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from loyalty.errors import QrTokenExpired, QrTokenInvalid
from loyalty.models import Member

AUDIENCE = "member-qr"
ALGORITHM = "HS256"
DEFAULT_TTL = 60


def _key(secret: str) -> bytes:
    """A 32-byte key for QR tokens only (domain-separated from the session secret)."""
    if not secret:
        raise ValueError("a QR token needs a secret")
    return hashlib.sha256(b"member-qr\x00" + secret.encode()).digest()


@dataclass(frozen=True, slots=True)
class QrClaims:
    member_code: str
    jti: str
    expires_at: datetime


def make_qr_token(
    member: Member | str, secret: str, ttl: int = DEFAULT_TTL, now: datetime | None = None
) -> tuple[str, datetime]:
    """A signed token for `member` valid for `ttl` seconds: `(token, expires_at)`."""
    code = member if isinstance(member, str) else member.member_code
    now = now or datetime.now(UTC)
    expires_at = (now + timedelta(seconds=ttl)).replace(microsecond=0)
    claims = {
        "sub": code,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(claims, _key(secret), algorithm=ALGORITHM), expires_at


def read_qr_token(token: str, secret: str, now: datetime | None = None) -> QrClaims:
    """Verify signature, audience and expiry (against `now`, for testability)."""
    try:
        claims = jwt.decode(
            token,
            _key(secret),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"verify_exp": False, "require": ["sub", "exp", "jti", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise QrTokenInvalid("the QR code is not valid") from exc
    now = now or datetime.now(UTC)
    expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    if now >= expires_at:
        raise QrTokenExpired("the QR code has expired: refresh the card")
    return QrClaims(str(claims["sub"]), str(claims["jti"]), expires_at)


def resolve_qr_token(token: str, secret: str, now: datetime | None = None) -> str:
    """The member code inside a valid, unexpired token."""
    return read_qr_token(token, secret, now).member_code
