"""graph.zalo.me for Mini App backends: `/v2.0/me` (profile) and `/v2.0/me/info` (phone).

Both read credentials from headers only, as the official SDKs send them. A bad token gets
452 "Session key invalid", which is what the real Graph answers.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.zalo.state import (
    E_GRAPH_CODE,
    E_GRAPH_PROOF,
    E_GRAPH_SECRET,
    E_GRAPH_TOKEN,
    PHONE_CODE_TTL_MS,
    err,
    reply,
)

if TYPE_CHECKING:
    from tests.fakes.zalo.core import FakeZalo


def routes(fake: FakeZalo) -> list[web.RouteDef]:
    return Graph(fake).routes()


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """hex(HMAC-SHA256(key=app secret, msg=access token)), §6."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


class Graph:
    def __init__(self, fake: FakeZalo) -> None:
        self.fake = fake

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/v2.0/me", self.me), web.get("/v2.0/me/info", self.info)]

    def _session(self, request: web.Request) -> tuple[str, dict[str, Any]] | web.Response:
        token = request.headers.get("access_token", "")
        profile = self.fake.miniapp_tokens.get(token)
        if profile is None:
            return err(
                E_GRAPH_TOKEN,
                "Session key invalid. This could be because the session"
                " key has an incorrect format, or because the user has revoked it",
            )
        return token, profile

    async def me(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if isinstance(session, web.Response):
            return session
        token, profile = session
        expected = appsecret_proof(self.fake.app_secret, token)
        if not hmac.compare_digest(request.headers.get("appsecret_proof", ""), expected):
            return err(E_GRAPH_PROOF, "appsecret_proof is invalid")
        wanted = request.query.get("fields")
        fields = {"name", "picture"} if wanted is None else set(wanted.split(","))
        body: dict[str, Any] = {"id": profile["id"], "error": 0, "message": "Success"}
        if "name" in fields:
            body["name"] = profile["name"]
        if "picture" in fields:
            body["picture"] = {"data": {"url": profile["picture"]}}
        if "is_sensitive" in fields:
            body["is_sensitive"] = False
        return reply(body)

    async def info(self, request: web.Request) -> web.Response:
        fake = self.fake
        secret = request.headers.get("secret_key", "")
        if not hmac.compare_digest(secret.encode(), fake.app_secret.encode()):
            return err(E_GRAPH_SECRET, "secret_key is invalid")
        session = self._session(request)
        if isinstance(session, web.Response):
            return session
        token, _ = session
        code = fake.phone_codes.get(request.headers.get("code", ""))
        if (
            code is None
            or code.used
            or code.access_token != token
            or fake.now_ms() - code.created > PHONE_CODE_TTL_MS
        ):
            return err(E_GRAPH_CODE, "code is invalid, used or expired")
        code.used = True
        return reply({"data": {"number": code.phone}, "error": 0, "message": "Success"})
