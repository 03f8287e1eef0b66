"""The Graph session's middleware: the Page token and its `appsecret_proof` on every call.

The proof is the hex HMAC-SHA256 of the token keyed by the App Secret, so a leaked token
alone cannot call the API when the app requires proofs.
"""

from __future__ import annotations

from typing import Any

from bot.apiclient.middleware import Call, Next, RequestMiddleware
from bot.apiclient.proof import appsecret_proof


class Credentials(RequestMiddleware):
    def __init__(self, page_token: str, app_secret: str) -> None:
        self._query = {"access_token": page_token}
        if app_secret:
            self._query["appsecret_proof"] = appsecret_proof(app_secret, page_token)

    async def __call__(self, call_next: Next, call: Call) -> Any:
        call.credentials.update(self._query)
        return await call_next(call)
