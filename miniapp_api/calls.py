"""Turn an HTTP request into a `Call` for a view, and the view's `Reply` into a response.

The order is fixed for every route: authenticate (401/403 before anything else), rate limit,
then path parameters (404), query (400) and body (400 malformed JSON, 422 invalid fields).
Loyalty's typed errors become problem+json here, keeping their stable `code` and the
details a client acts on (`next_play_at`, `redeemed_at`, `expires_at`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.apiclient.http import SharedHttp
from bot.appkeys import CONTENT, HTTP, KV, SETTINGS
from bot.backends.base import KeyValue
from bot.content.schema import Content
from bot.settings import Settings
from bot.web.problems import ApiError
from loyalty.errors import LoyaltyError, NoPlaysLeft
from loyalty.models import Member
from miniapp_api import auth
from miniapp_api.registry import Reply, Route

JSON_TYPES = ("application/json", "application/problem+json", "")


@dataclass(slots=True)
class Call:
    """Everything a view needs, already checked."""

    request: web.Request
    body: Any = None
    query: Any = None
    params: Any = None
    member: Member | None = None
    session: auth.Session | None = None

    @property
    def settings(self) -> Settings:
        return self.request.app[SETTINGS]

    @property
    def content(self) -> Content:
        return self.request.app[CONTENT].current

    @property
    def kv(self) -> KeyValue:
        return self.request.app[KV]

    @property
    def http(self) -> SharedHttp:
        """The process's outbound HTTP (Zalo Graph look-ups)."""
        return self.request.app[HTTP]

    @property
    def me(self) -> Member:
        assert self.member is not None, "route is not declared with auth='member'"
        return self.member

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(part) for part in err["loc"]) or "(body)",
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _validate(model: type[BaseModel], data: Any, status: int, code: str, what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        names = ", ".join(sorted({e["field"] for e in errors}))
        raise ApiError(status, code, f"invalid {what}: {names}", errors=errors) from None


async def _read_body(request: web.Request, model: type[BaseModel]) -> Any:
    raw = await request.read()
    if not raw.strip():
        data: Any = {}
    else:
        if request.content_type not in JSON_TYPES:
            raise ApiError(415, "unsupported_media_type", "send the body as application/json")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return _validate(model, data, 422, "validation_error", "body")


def _not_found(detail: str = "no such resource") -> ApiError:
    return ApiError(404, "not_found", detail)


def domain_problem(exc: LoyaltyError) -> ApiError:
    """A loyalty error as the API answers it (same code, status and useful details)."""
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for name in ("next_play_at", "redeemed_at", "expires_at"):
        value = getattr(exc, name, None)
        if isinstance(value, datetime):
            extra[name] = value.astimezone(UTC).isoformat()
    if isinstance(exc, NoPlaysLeft) and exc.next_play_at is not None:
        wait = (exc.next_play_at - datetime.now(UTC)).total_seconds()
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return ApiError(exc.status, exc.code, exc.detail, headers=headers, **extra)


def handler_for(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        call = Call(request)
        if route.auth == "member":
            call.member, call.session = await auth.authenticate_member(request)
        elif route.auth == "admin":
            auth.check_admin(request)
        if route.params is not None:
            try:
                call.params = route.params.model_validate(dict(request.match_info))
            except ValidationError:
                raise _not_found() from None
        if route.query is not None:
            query = {k: request.query.getone(k) for k in request.query}
            call.query = _validate(route.query, query, 400, "invalid_query", "query parameters")
        if route.body is not None:
            call.body = await _read_body(request, route.body)
        try:
            result = await route.view(call)
        except LoyaltyError as exc:
            raise domain_problem(exc) from None
        return _respond(result)

    handler.__name__ = route.name
    return handler


def _respond(result: Reply | web.StreamResponse) -> web.StreamResponse:
    if isinstance(result, web.StreamResponse):
        return result
    if result.body is None:
        return web.Response(status=result.status, headers=result.headers)
    return web.Response(
        status=result.status,
        body=result.body.model_dump_json().encode(),
        content_type="application/json",
        headers=result.headers,
    )
