"""Who is signed in to the console, what their role lets them open, and CSRF on every write.

`console_middleware` reads the session cookie on `/admin…` and `/api/v1/admin/…`. On the
admin API it sets `request[auth.ACTOR_KEY]` (so `check_admin` takes the session like an
`X-Api-Key` of that user's role) and refuses a write without the session's `X-CSRF-Token`
(403 `csrf_failed`); a request that carries `X-Api-Key` is left to the key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from aiohttp import web

from bot.console.sessions import COOKIE, CSRF_FIELD, CSRF_HEADER, Signed, csrf_ok, read_session
from bot.models import ConsoleUser
from bot.web.problems import ApiError
from miniapp_api.audit import ADMIN_PREFIX, WRITE_METHODS
from miniapp_api.auth import ACTOR_KEY, Actor, Role

SIGNED = web.RequestKey("console_signed", Signed)
FORM = web.RequestKey("console_form", dict)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOGIN = "/admin/login"


def actor_of_user(user: ConsoleUser) -> Actor:
    role: Role = user.role  # type: ignore[assignment]
    return Actor("user", str(user.id), role)


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    on_api = path.startswith(ADMIN_PREFIX)
    if not (on_api or path == "/admin" or path.startswith("/admin/")):
        return await handler(request)
    token = request.cookies.get(COOKIE, "")
    signed = await read_session(token) if token else None
    if signed is not None:
        request[SIGNED] = signed
    if on_api and signed is not None and "X-Api-Key" not in request.headers:
        if request.method in WRITE_METHODS and not csrf_ok(
            signed.session.csrf_token, request.headers.get(CSRF_HEADER)
        ):
            raise ApiError(
                403, "csrf_failed", f"a console session must send the {CSRF_HEADER} header"
            )
        request[ACTOR_KEY] = actor_of_user(signed.user)
    return await handler(request)


class Forbidden(web.HTTPException):
    status_code = 403


def page(role: Role) -> Callable[[Handler], Handler]:
    """A console page for `role` and above: unsigned → the sign-in page; lower role → 403;
    a POST must carry the session's CSRF token in its form (403 otherwise)."""

    def wrap(view: Handler) -> Handler:
        @wraps(view)
        async def inner(request: web.Request) -> web.StreamResponse:
            from bot.console.pages import render

            signed = request.get(SIGNED)
            if signed is None:
                if request.method == "GET":
                    raise web.HTTPSeeOther(f"{LOGIN}?next={request.path_qs}")
                raise web.HTTPSeeOther(LOGIN)
            actor = actor_of_user(signed.user)
            if not actor.at_least(role):
                return render(
                    "error.html",
                    status=403,
                    signed=signed,
                    title="Không có quyền",
                    message="Tài khoản của bạn không được mở trang này.",
                )
            if request.method == "POST":
                form = dict(await request.post())
                if not csrf_ok(signed.session.csrf_token, str(form.get(CSRF_FIELD) or "")):
                    return render(
                        "error.html",
                        status=403,
                        signed=signed,
                        title="Phiên biểu mẫu không hợp lệ",
                        message="Biểu mẫu đã hết hạn hoặc không đến từ trang này. "
                        "Hãy tải lại trang và thử lại.",
                    )
                request[FORM] = form
            request[ACTOR_KEY] = actor
            return await view(request)

        return inner

    return wrap
