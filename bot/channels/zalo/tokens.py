"""The rotating OA token pair, kept in the database (`PlatformToken`).

Refresh tokens are single use: a refresh returns a new pair and kills the old one (§3). Two
workers refreshing with the same token would leave one of them — and soon everybody — with a
dead pair, so a refresh is single-flight: an `asyncio.Lock` in the process, then the shared
lock `zalo-token:<oa>` across processes, then the store is read *again* (another process may
have refreshed already; its pair is then used). The new pair is saved before it is used, with
the previous refresh token kept for forensics. A failed refresh is logged at ERROR once per
dead refresh token and never retried in a loop: it needs a human to grant access again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from bot.backends.base import LockManager
from bot.channels.zalo.exceptions import ZaloNetworkError, ZaloOAuthError, ZaloTokenUnavailable
from bot.channels.zalo.methods.oauth import ExchangeCode, RefreshAccessToken
from bot.channels.zalo.session.base import BaseSession
from bot.channels.zalo.types.results import TokenPair
from bot.models import PlatformToken

log = logging.getLogger("bot.channels.zalo.tokens")

CHANNEL = "zalo"
REFRESH_AHEAD = timedelta(minutes=10)
SEED_LIFETIME = timedelta(hours=25)  # a seed's real expiry is unknown; a -216/-220 corrects it
LOCK_TIMEOUT = 60.0


def _fingerprint(token: str) -> str:
    """Identifies a token in memory and logs without revealing it."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


class TokenManager:
    """Hands out the current access token and refreshes it safely."""

    def __init__(
        self,
        *,
        account_id: str,
        app_id: str,
        app_secret: str,
        session: BaseSession,
        locks: LockManager,
        seed_access_token: str = "",
        seed_refresh_token: str = "",
        refresh_ahead: timedelta = REFRESH_AHEAD,
    ) -> None:
        self.account_id = account_id
        self._app_id = app_id
        self._app_secret = app_secret
        self._session = session
        self._locks = locks
        self._seed = (seed_access_token, seed_refresh_token)
        self._ahead = refresh_ahead
        self._lock = asyncio.Lock()
        self._row: PlatformToken | None = None
        self._dead: str | None = None  # fingerprint of a refresh token Zalo refused

    @property
    def lock_name(self) -> str:
        return f"zalo-token:{self.account_id}"

    async def seed(self) -> bool:
        """Store the env pair when no row exists yet; an existing row always wins."""
        access, refresh = self._seed
        if not access:
            return False
        if await PlatformToken.exists(channel=CHANNEL, account_id=self.account_id):
            return False
        try:
            await PlatformToken.create(
                channel=CHANNEL,
                account_id=self.account_id,
                access_token=access,
                refresh_token=refresh,
                expires_at=datetime.now(UTC) + SEED_LIFETIME,
            )
        except IntegrityError:  # another process seeded at the same moment
            return False
        log.info("zalo OA %s: token pair seeded from the environment", self.account_id)
        return True

    async def _load(self) -> PlatformToken | None:
        self._row = await PlatformToken.get_or_none(channel=CHANNEL, account_id=self.account_id)
        return self._row

    def _expiring(self, row: PlatformToken) -> bool:
        return row.expires_at - datetime.now(UTC) <= self._ahead

    def _can_refresh(self, row: PlatformToken) -> bool:
        return bool(row.refresh_token) and _fingerprint(row.refresh_token) != self._dead

    async def access_token(self) -> str:
        """The current token, refreshed first when it expires within `refresh_ahead`."""
        row = self._row or await self._load()
        if row is None:
            raise ZaloTokenUnavailable(
                f"no Zalo OA token stored for {self.account_id}: set ZALO_OA_ACCESS_TOKEN"
            )
        if self._expiring(row) and self._can_refresh(row):
            try:
                return await self.refresh(stale=row.access_token)
            except (ZaloTokenUnavailable, ZaloNetworkError):
                if row.expires_at <= datetime.now(UTC):
                    raise
                # Not expired yet: keep using it; the failure is already logged.
        return row.access_token

    async def refresh(self, stale: str) -> str:
        """A token newer than `stale`: another process's, or a fresh pair from Zalo."""
        async with self._lock:
            row = await self._load()
            if row is None:
                raise ZaloTokenUnavailable(f"no Zalo OA token stored for {self.account_id}")
            if row.access_token != stale and not self._expiring(row):
                return row.access_token
            async with self._locks.lock(
                self.lock_name, timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_TIMEOUT
            ):
                row = await self._load()
                if row is None:
                    raise ZaloTokenUnavailable(f"no Zalo OA token stored for {self.account_id}")
                if row.access_token != stale and not self._expiring(row):
                    return row.access_token  # refreshed meanwhile, maybe by another process
                if not self._can_refresh(row):
                    raise ZaloTokenUnavailable(
                        f"Zalo OA {self.account_id}: no usable refresh token, re-grant needed"
                    )
                return await self._refresh_locked(row)

    async def _refresh_locked(self, row: PlatformToken) -> str:
        method = RefreshAccessToken(app_id=self._app_id, refresh_token=row.refresh_token)
        try:
            pair = await self._session(method, headers={"secret_key": self._app_secret})
        except ZaloOAuthError as exc:
            self._dead = _fingerprint(row.refresh_token)
            log.error(
                "ZALO OA TOKEN REFRESH FAILED for OA %s (refresh token %s…, version %d): "
                "oauth error %s %s %s. Sending to Zalo stops until an OA admin grants the app "
                "access again and the new pair is stored (TokenManager.save_grant).",
                self.account_id,
                self._dead,
                row.version,
                exc.code,
                exc.name,
                exc.reason,
            )
            raise ZaloTokenUnavailable(f"Zalo OA {self.account_id}: refresh refused") from None
        return await self._save(row, pair)

    async def _save(self, row: PlatformToken, pair: TokenPair) -> str:
        """Persist before use, guarded by the row version (a lock that expired mid-way)."""
        expires_at = datetime.now(UTC) + timedelta(seconds=pair.expires_in)
        updated = await PlatformToken.filter(id=row.id, version=row.version).update(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            previous_refresh_token=row.refresh_token,
            expires_at=expires_at,
            version=row.version + 1,
        )
        if not updated:
            log.error("zalo OA %s: token row changed during refresh", self.account_id)
            fresh = await self._load()
            if fresh is None:
                raise ZaloTokenUnavailable(f"token row for {self.account_id} vanished")
            return fresh.access_token
        await self._load()
        log.info(
            "zalo OA %s: token refreshed (version %d, expires %s)",
            self.account_id,
            row.version + 1,
            expires_at.isoformat(timespec="minutes"),
        )
        return pair.access_token

    async def save_grant(self, access_token: str, refresh_token: str, expires_in: int) -> None:
        """Store a pair obtained by a human (API Explorer, consent flow): it wins over all."""
        async with self._lock:
            expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
            row = await self._load()
            if row is None:
                await PlatformToken.create(
                    channel=CHANNEL,
                    account_id=self.account_id,
                    access_token=access_token,
                    refresh_token=refresh_token,
                    expires_at=expires_at,
                )
            else:
                await PlatformToken.filter(id=row.id).update(
                    access_token=access_token,
                    refresh_token=refresh_token,
                    previous_refresh_token=row.refresh_token,
                    expires_at=expires_at,
                    version=row.version + 1,
                )
            self._dead = None
            await self._load()
        log.info("zalo OA %s: new token pair stored by grant", self.account_id)

    async def exchange_code(self, code: str, code_verifier: str | None = None) -> None:
        """Consent callback: trade `?code=` (10 minutes) for a first pair and store it."""
        method = ExchangeCode(app_id=self._app_id, code=code, code_verifier=code_verifier)
        pair = await self._session(method, headers={"secret_key": self._app_secret})
        await self.save_grant(pair.access_token, pair.refresh_token, pair.expires_in)
