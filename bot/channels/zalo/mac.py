"""`X-ZEvent-Signature: mac=<hex>`: plain SHA-256 (not HMAC) of
`<id> + <raw body> + <timestamp> + <key>` over the exact bytes received (reference §1.2).

The documented variant is `app_id` + OA Secret Key. Which id and which key Zalo really uses
is disputed, so both are settings (`ZALO_WEBHOOK_MAC_ID`, `ZALO_WEBHOOK_MAC_KEY`). Without an
OA secret (sandbox mode) the sandbox page signs with `SANDBOX_SECRET` and the body's app_id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from bot.settings import Settings

log = logging.getLogger("bot.channels.zalo.mac")
PREFIX = "mac="


def compute_mac(first_id: str, raw: bytes, timestamp: str, key: str) -> str:
    digest = hashlib.sha256()
    digest.update(first_id.encode())
    digest.update(raw)
    digest.update(timestamp.encode())
    digest.update(key.encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class MacVerifier:
    """Checks signatures with one configured variant; `key=""` refuses everything."""

    id_field: str  # "app_id" or "oa_id"
    key: str
    key_name: str  # for logs only: which setting the key comes from
    fixed_id: str = ""  # the configured id; the body's is used when empty
    sandbox: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> MacVerifier:
        id_field = settings.ZALO_WEBHOOK_MAC_ID
        if not settings.ZALO_OA_SECRET_KEY:
            # Sandbox mode: the sandbox page signs like Zalo, with the sandbox secret.
            key = settings.SANDBOX_SECRET if settings.sandbox_enabled else ""
            return cls("app_id", key, "SANDBOX_SECRET", sandbox=True)
        if settings.ZALO_WEBHOOK_MAC_KEY == "app_secret":
            key, key_name = settings.ZALO_APP_SECRET, "ZALO_APP_SECRET"
        else:
            key, key_name = settings.ZALO_OA_SECRET_KEY, "ZALO_OA_SECRET_KEY"
        fixed = settings.ZALO_APP_ID if id_field == "app_id" else settings.ZALO_OA_ID
        return cls(id_field, key, key_name, fixed_id=fixed)

    def describe(self) -> str:
        """The formula in use, without secrets, for the startup log."""
        if not self.key:
            return "no key configured: every webhook POST is refused"
        where = f"{self.id_field}={self.fixed_id}" if self.fixed_id else f"body {self.id_field}"
        mode = " (sandbox)" if self.sandbox else ""
        return f"sha256({where} + raw body + timestamp + {self.key_name}){mode}"

    def verify(
        self, header: str | None, raw: bytes, *, timestamp: str, app_id: str, oa_id: str
    ) -> bool:
        """Constant-time check of `mac=<hex>` against the exact bytes received.

        `app_id`/`oa_id` are the body's (the OA id taken from the side that is the OA);
        a configured id takes precedence.
        """
        if not self.key or not header:
            return False
        got = header.strip()
        got = got[len(PREFIX) :] if got.lower().startswith(PREFIX) else got
        first = self.fixed_id or (oa_id if self.id_field == "oa_id" else app_id)
        expected = compute_mac(first, raw, timestamp, self.key)
        return hmac.compare_digest(expected.encode(), got.lower().encode())
