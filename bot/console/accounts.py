"""Console users: argon2 password hashes, `add-user`, and sign-in with failure limits.

Limits (all counted in the key-value store, fixed windows of `CONSOLE_LOCKOUT_MINUTES`):

- per account: after `CONSOLE_LOGIN_FAILURES` wrong passwords the account is refused, even
  with the right password, until the window ends;
- per client address: after `CONSOLE_ADDRESS_FAILURES` wrong passwords that address is
  refused for every account until the window ends.

The owner cannot be locked out for ever: every lock ends by itself; the owner's account lock
is counted per account *and address* (a stranger guessing from elsewhere locks only their own
address, never the owner's own browser); and `python -m bot admin add-user EMAIL --role
owner` from the server's shell sets a new password at any time.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.backends.base import KeyValue
from bot.backends.ratelimit import RateLimiter
from bot.models import ConsoleUser

ConsoleRole = Literal["owner", "manager", "staff"]
ROLES: tuple[ConsoleRole, ...] = ("owner", "manager", "staff")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """Bad input to `add_user` (an email, role or password that cannot be used)."""


@dataclass(frozen=True, slots=True)
class Limits:
    account_failures: int
    address_failures: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of one attempt: a user, or why not and for how long."""

    user: ConsoleUser | None
    locked_seconds: int = 0


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_role(role: str) -> ConsoleRole:
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def generate_password() -> str:
    return secrets.token_urlsafe(12)


async def add_user(email: str, role: str, password: str) -> tuple[ConsoleUser, bool]:
    """Create the user or update role and password (and reactivate); True when created."""
    address = normalize_email(email)
    if not EMAIL.match(address):
        raise AccountError(f"{email!r} is not an email address")
    checked = check_role(role)
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    hashed = hash_password(password)
    user = await ConsoleUser.get_or_none(email=address)
    if user is None:
        user = await ConsoleUser.create(email=address, role=checked, password_hash=hashed)
        return user, True
    user.role = checked
    user.password_hash = hashed
    user.active = True
    await user.save(update_fields=["role", "password_hash", "active", "updated_at"])
    return user, False


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _account_key(user: ConsoleUser | None, email: str, address: str) -> str:
    digest = hashlib.sha256(email.encode()).hexdigest()[:16]  # no email in the store
    if user is not None and user.role == "owner":
        return f"{digest}:{address}"
    return digest


class SignInGuard:
    """Counts failed sign-ins per account and per address in `kv`."""

    def __init__(self, kv: KeyValue, limits: Limits) -> None:
        self._accounts = RateLimiter(kv, prefix="console:fail:account")
        self._addresses = RateLimiter(kv, prefix="console:fail:address")
        self._kv = kv
        self._limits = limits

    async def _locked(self, limiter: RateLimiter, prefix: str, key: str, limit: int) -> int:
        count = int(await self._kv.get(f"{prefix}:{key}") or 0)
        if count < limit:
            return 0
        return max(1, math.ceil(await limiter.retry_after(key)))

    async def attempt(self, email: str, password: str, address: str) -> SignIn:
        """The active user whose password matches, unless a lock holds (checked first)."""
        limits = self._limits
        address_wait = await self._locked(
            self._addresses, "console:fail:address", address, limits.address_failures
        )
        if address_wait:
            return SignIn(None, address_wait)
        normalized = normalize_email(email)
        user = await ConsoleUser.get_or_none(email=normalized, active=True)
        key = _account_key(user, normalized, address)
        account_wait = await self._locked(
            self._accounts, "console:fail:account", key, limits.account_failures
        )
        if account_wait:
            return SignIn(None, account_wait)
        ok = _verify(user.password_hash if user else _DUMMY_HASH, password)
        if user is not None and ok:
            await self._accounts.reset(key)
            return SignIn(user)
        await self._accounts.hit(key, limits.account_failures, limits.window_seconds)
        await self._addresses.hit(address, limits.address_failures, limits.window_seconds)
        return SignIn(None)
