"""`X-Hub-Signature-256`: HMAC-SHA256 of the raw request body, keyed by the App Secret.

Meta signs the bytes it sends (JSON with `\\uXXXX` escapes), so the check runs on the raw
body before any parsing; re-serialised JSON would not match for Vietnamese text.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def sign(key: str, raw: bytes) -> str:
    """The header value Meta would send for `raw`."""
    return PREFIX + hmac.new(key.encode(), raw, hashlib.sha256).hexdigest()


def signature_ok(key: str, raw: bytes, header: str | None) -> bool:
    """Constant-time check of a header value; a missing or malformed header fails."""
    if not key or not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(key, raw).encode(), header.strip().lower().encode())
