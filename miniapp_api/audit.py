"""The audit log of admin writes, and the guard against guessing `X-Api-Key`.

`audit_middleware` wraps every request under `/api/v1/admin/`:

- a client address with more than `ADMIN_AUTH_FAILURES_PER_MINUTE` wrong keys in a minute
  gets 429 `too_many_failures` for the rest of that minute, before any key is compared;
- every write (POST, PUT, PATCH, DELETE) by an authenticated caller is recorded after the
  view answered, with its status, whether it succeeded or not: who (the `Actor`), what (the
  method and route template), when, and the target (path parameters, or what the view
  named with `note`). Reads that hand out personal data in bulk (exports) call `note(...,
  always=True)` and are recorded too.

Bodies are never copied into the log: a phone in a path is masked, and a view decides what
`detail` it adds. The console records its own writes with `record(...)` and an Actor built
from its session. Entries are append-only (`loyalty.append_only`); an entry that cannot be
written is logged as an error and does not undo the write it describes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.appkeys import KV, SETTINGS
from bot.backends.ratelimit import RateLimiter
from bot.web.problems import ApiError
from loyalty.clock import utcnow
from loyalty.models import AuditEntry
from loyalty.phone import is_phone_like, mask_phone
from miniapp_api.auth import ACTOR_KEY, Actor

log = logging.getLogger("miniapp_api.audit")

ADMIN_PREFIX = "/api/v1/admin/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NOTE_KEY = web.RequestKey("audit_note", dict[str, Any])
FAILURE_WINDOW_SECONDS = 60
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def note(
    request: web.Request, *, target: str | None = None, always: bool = False, **detail: Any
) -> None:
    """Name the entry's target and add detail (no personal data); `always` records a read."""
    current = request.get(NOTE_KEY) or {"target": None, "always": False, "detail": {}}
    if target is not None:
        current["target"] = target
    current["always"] = current["always"] or always
    current["detail"].update(detail)
    request[NOTE_KEY] = current


async def record(
    actor: Actor,
    action: str,
    *,
    target: str = "",
    status: int = 0,
    detail: dict[str, Any] | None = None,
    source: str = "api",
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry (the console's entry point; the middleware uses it too)."""
    return await AuditEntry.create(
        at=now or utcnow(),
        actor_kind=actor.kind,
        actor_id=actor.id[:64],
        actor_role=actor.role,
        source=source[:16],
        action=action[:96],
        target=target[:128],
        status=status,
        detail=detail or None,
    )


def _action(request: web.Request) -> str:
    info = request.match_info
    template = info.route.resource.canonical if info.route.resource else request.path
    return f"{request.method} {template.removeprefix('/api')}"


def _target(request: web.Request) -> str:
    noted = (request.get(NOTE_KEY) or {}).get("target")
    if noted:
        return str(noted)
    parts = []
    for name, value in request.match_info.items():
        shown = mask_phone(value) if is_phone_like(value) else value
        if len(shown) > 40:  # a scanned QR token: long, short-lived, not worth keeping
            shown = shown[:8] + "…"
        parts.append(f"{name}={shown}")
    return " ".join(parts)


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


def _limiter(request: web.Request) -> RateLimiter:
    return RateLimiter(request.app[KV], prefix="api:admin_fail")


async def _refuse_if_blocked(request: web.Request) -> None:
    settings = request.app[SETTINGS]
    limiter = _limiter(request)
    key = _client(request)
    count = int(await request.app[KV].get(f"api:admin_fail:{key}") or 0)
    if count < settings.ADMIN_AUTH_FAILURES_PER_MINUTE:
        return
    wait = max(1, math.ceil(await limiter.retry_after(key)))
    raise ApiError(
        429,
        "too_many_failures",
        f"too many wrong X-Api-Key attempts from this address: retry in {wait} s",
        headers={"Retry-After": str(wait)},
        retry_after=wait,
    )


async def _count_failure(request: web.Request) -> None:
    settings = request.app[SETTINGS]
    key = _client(request)
    if not await _limiter(request).hit(
        key, settings.ADMIN_AUTH_FAILURES_PER_MINUTE, FAILURE_WINDOW_SECONDS
    ):
        log.warning("admin API: too many wrong keys from %s", key)


async def _audit(request: web.Request, status: int) -> None:
    actor = request.get(ACTOR_KEY)
    noted = request.get(NOTE_KEY) or {}
    if not isinstance(actor, Actor):
        return
    if request.method not in WRITE_METHODS and not noted.get("always"):
        return
    try:
        await record(
            actor,
            _action(request),
            target=_target(request),
            status=status,
            detail=noted.get("detail") or None,
        )
    except Exception:  # never hide the answer of a write that happened
        log.exception("audit entry for %s not written", _action(request))  # no raw path: QR


@web.middleware
async def audit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(ADMIN_PREFIX):
        return await handler(request)
    await _refuse_if_blocked(request)
    try:
        response = await handler(request)
    except ApiError as exc:
        if exc.code == "invalid_api_key":
            await _count_failure(request)
        await _audit(request, exc.status)
        raise
    except web.HTTPException as exc:
        await _audit(request, exc.status)
        raise
    except Exception:
        await _audit(request, 500)
        raise
    await _audit(request, response.status)
    return response
