"""OA OAuth v4: `POST oauth.zaloapp.com/v4/oa/access_token`, form-encoded, header
`secret_key: <App Secret>` (reference §3). The answer is flat, not `{"error", "data"}`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError

from bot.channels.zalo.exceptions import ZaloOAuthError
from bot.channels.zalo.methods.base import ZaloMethod
from bot.channels.zalo.types.results import TokenPair


class _TokenGrant(ZaloMethod[TokenPair]):
    __api_path__ = "/v4/oa/access_token"
    __server__ = "oauth"
    __auth__ = "secret_key"
    __encoding__ = "form"
    __returning__ = TokenPair

    app_id: str

    def build_result(self, body: Any) -> TokenPair:
        """No `access_token` in the answer is a failure, whatever the code says."""
        if not isinstance(body, dict) or not body.get("access_token"):
            body = body if isinstance(body, dict) else {}
            raise ZaloOAuthError(
                body.get("error", "?"),
                str(body.get("error_name") or ""),
                str(body.get("error_reason") or ""),
            )
        try:
            return TokenPair.model_validate(body)
        except ValidationError:
            raise ZaloOAuthError("?", "bad answer", "token pair incomplete") from None


class RefreshAccessToken(_TokenGrant):
    """Refresh tokens are single use: the answer is a new pair and the old one is dead."""

    refresh_token: str = Field(repr=False, min_length=1)
    grant_type: Literal["refresh_token"] = "refresh_token"


class ExchangeCode(_TokenGrant):
    """The consent redirect's `code` (10 minutes) for a first pair, with the PKCE verifier."""

    code: str = Field(repr=False, min_length=1)
    code_verifier: str | None = Field(None, repr=False)
    grant_type: Literal["authorization_code"] = "authorization_code"
