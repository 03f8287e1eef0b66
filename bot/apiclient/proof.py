"""`appsecret_proof`: what Facebook Graph and Zalo Graph ask beside a user or Page token."""

from __future__ import annotations

import hashlib
import hmac


def appsecret_proof(app_secret: str, token: str) -> str:
    """hex(HMAC-SHA256(key=app secret, msg=token)): a leaked token alone is not enough."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
