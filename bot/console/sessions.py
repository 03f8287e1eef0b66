"""Console sessions: a random cookie token (only its SHA-256 is stored), a CSRF token per
session, an absolute expiry, and the cookie's flags (HttpOnly, SameSite=Strict, Secure
whenever the console is reached over HTTPS)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from bot.models import ConsoleSession, ConsoleUser
from loyalty.clock import utcnow

COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"


@dataclass(frozen=True, slots=True)
class Signed:
    """A live session and its user."""

    session: ConsoleSession
    user: ConsoleUser


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(user: ConsoleUser, hours: int) -> tuple[str, ConsoleSession]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    await ConsoleSession.filter(expires_at__lte=now).delete()  # a few rows: staff, not members
    session = await ConsoleSession.create(
        token_hash=_digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    return token, session


async def read_session(token: str, now: datetime | None = None) -> Signed | None:
    """The session of a cookie token, if it has not expired and its user is active."""
    if not token or len(token) > 128:
        return None
    session = await ConsoleSession.get_or_none(token_hash=_digest(token))
    if session is None:
        return None
    if session.expires_at <= (now or utcnow()):
        await session.delete()
        return None
    user = await ConsoleUser.get_or_none(id=session.user_id, active=True)
    if user is None:
        return None
    return Signed(session, user)


async def close_session(token: str) -> None:
    await ConsoleSession.filter(token_hash=_digest(token)).delete()


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def is_https(request: web.Request, public_base_url: str) -> bool:
    """Secure cookies when this request came over HTTPS or the public URL is HTTPS (a TLS
    proxy in front)."""
    return request.secure or public_base_url.startswith("https://")


def set_cookie(
    response: web.StreamResponse, name: str, value: str, *, secure: bool, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=secure,
    )
