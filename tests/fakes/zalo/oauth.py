"""`POST /v4/oa/access_token`: the OA token endpoint, with single-use rotating refresh tokens.

Strict on purpose: form-encoded body, `secret_key` header equal to the App Secret, and each
refresh token works exactly once. Two workers refreshing with the same token get one pair
and one error, which is what proves a client's single-flight refresh.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.zalo.state import (
    ACCESS_TOKEN_TTL_S,
    E_OAUTH_CODE,
    E_OAUTH_PARAM,
    E_OAUTH_REFRESH,
    E_OAUTH_SECRET,
    reply,
)

if TYPE_CHECKING:
    from tests.fakes.zalo.core import FakeZalo


def routes(fake: FakeZalo) -> list[web.RouteDef]:
    return OAuth(fake).routes()


def oauth_error(code: int, name: str, reason: str) -> web.Response:
    """No `access_token` key at all: clients must treat its absence as failure."""
    return reply({"error": code, "error_name": name, "error_reason": reason})


def pkce_challenge(verifier: str) -> str:
    """base64url (no padding) of the raw SHA-256 of the verifier (§3)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OAuth:
    def __init__(self, fake: FakeZalo) -> None:
        self.fake = fake

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v4/oa/access_token", self.access_token)]

    async def access_token(self, request: web.Request) -> web.Response:
        fake = self.fake
        secret = request.headers.get("secret_key", "")
        if not hmac.compare_digest(secret.encode(), fake.app_secret.encode()):
            return oauth_error(E_OAUTH_SECRET, "Invalid secret key", "secret_key is invalid")
        if request.content_type != "application/x-www-form-urlencoded":
            return oauth_error(E_OAUTH_PARAM, "Invalid parameter", "body must be form-encoded")
        form = await request.post()
        if form.get("app_id") != fake.app_id:
            return oauth_error(E_OAUTH_PARAM, "Invalid parameter", "app_id is invalid")
        grant = form.get("grant_type")
        if grant == "refresh_token":
            return self._refresh(str(form.get("refresh_token", "")))
        if grant == "authorization_code":
            return self._code(str(form.get("code", "")), form.get("code_verifier"))
        return oauth_error(E_OAUTH_PARAM, "Invalid parameter", "grant_type is invalid")

    def _refresh(self, token: str) -> web.Response:
        fake = self.fake
        record = fake.refresh_tokens.get(token)
        if record is None or record.used or record.expires <= fake.now_ms():
            return oauth_error(E_OAUTH_REFRESH, "Invalid refresh token", "Invalid refresh token")
        record.used = True
        # Rotation: the access token issued with this refresh token dies with it.
        if (old := fake.access_tokens.get(record.access)) is not None:
            old.revoked = True
        fake.refresh_count += 1
        return self._pair()

    def _code(self, code: str, verifier: Any) -> web.Response:
        fake = self.fake
        entry = fake.auth_codes.pop(code, None)
        if entry is None or entry[1] <= fake.now_ms():
            return oauth_error(E_OAUTH_CODE, "Invalid code", "code is invalid or expired")
        challenge = entry[0]
        if challenge is not None and (
            not isinstance(verifier, str) or pkce_challenge(verifier) != challenge
        ):
            return oauth_error(E_OAUTH_CODE, "Invalid code", "code_verifier does not match")
        return self._pair()

    def _pair(self) -> web.Response:
        access, refresh = self.fake.issue_tokens()
        return reply(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": str(ACCESS_TOKEN_TTL_S),
            }
        )
