"""RFC 9457 problem details: every 4xx/5xx under `/api` is `application/problem+json`.

Domain code raises :class:`ApiError` (or a domain error with a stable `code`), and one
middleware turns it into a response, so views never build error bodies by hand.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web

log = logging.getLogger("bot.web")
PROBLEM_TYPE = "application/problem+json"


class ApiError(Exception):
    """An error meant for the API client; `code` is stable, `detail` is human text."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem(
    status: int, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    body = {
        "type": f"/api/problems/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type=PROBLEM_TYPE,
        charset="utf-8",
        headers=headers,
    )


# Domain errors (loyalty, games) carry a `code` and optionally an HTTP `status`; anything
# registered here maps by class name to a status when the error does not say.
DOMAIN_STATUS: dict[str, int] = {}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api"):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return problem(exc.status, exc.code, exc.detail, headers=exc.headers, **exc.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = HTTPStatus(exc.status).phrase.lower().replace(" ", "_")
        return problem(exc.status, code, exc.text or exc.reason, headers=_keep(exc))
    except Exception as exc:
        status = getattr(exc, "status", None) or DOMAIN_STATUS.get(type(exc).__name__)
        domain_code = getattr(exc, "code", None)
        if isinstance(status, int) and isinstance(domain_code, str):
            return problem(status, domain_code, str(exc))
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "internal_error", "internal server error")


def _keep(exc: web.HTTPException) -> dict[str, str]:
    return {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after"}}
