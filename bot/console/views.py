"""The console's pages. Each one calls the services the admin API calls (loyalty, content
loader), checks the role through `Actor`, and records writes with `miniapp_api.audit`."""

from __future__ import annotations

import contextlib
import logging
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiohttp import web
from tortoise.expressions import Subquery

from bot.appkeys import CONTENT, KV, SETTINGS
from bot.console import broadcasts, content_editor, dashboard
from bot.console.accounts import (
    MIN_PASSWORD,
    AccountError,
    Limits,
    SignInGuard,
    add_user,
    generate_password,
)
from bot.console.guard import FORM, SIGNED, actor_of_user, page
from bot.console.pages import render
from bot.console.sessions import (
    COOKIE,
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    close_session,
    csrf_ok,
    is_https,
    open_session,
    set_cookie,
)
from bot.content.errors import ContentError, Problem
from bot.journeys.metrics import active_entries
from bot.journeys.models import JourneyEnrolment
from bot.models import ConsoleSession, ConsoleUser, ContentVersion
from loyalty import consent, members, points, tags, tiers, vouchers
from loyalty.errors import (
    InsufficientPoints,
    InvalidAmount,
    InvalidInput,
    LoyaltyError,
    MemberNotFound,
)
from loyalty.models import Member, MemberIdentity, MemberRfm, MemberTag, Order, Play
from loyalty.phone import is_phone_like
from loyalty.promotions.registration import registration
from loyalty.segments import read
from loyalty.tags import normalize_tag, split_tags
from miniapp_api import audit
from miniapp_api.auth import actor_of

log = logging.getLogger("bot.console")
SOURCE = "console"


def _guard(request: web.Request) -> SignInGuard:
    settings = request.app[SETTINGS]
    limits = Limits(
        settings.CONSOLE_LOGIN_FAILURES,
        settings.CONSOLE_ADDRESS_FAILURES,
        settings.CONSOLE_LOCKOUT_MINUTES * 60,
    )
    return SignInGuard(request.app[KV], limits)


def _secure(request: web.Request) -> bool:
    return is_https(request, request.app[SETTINGS].PUBLIC_BASE_URL)


def _safe_next(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/admin") or "\\" in value:
        return "/admin"
    return value


def _not_found(request: web.Request, message: str) -> web.HTTPNotFound:
    page = render(
        "error.html",
        title="Không tìm thấy",
        message=message,
        signed=request.get(SIGNED),
        csrf=_csrf(request),
    )
    return web.HTTPNotFound(text=page.text, content_type="text/html")


def _csrf(request: web.Request) -> str:
    return request[SIGNED].session.csrf_token


# --- sign in / out -----------------------------------------------------------------------
def _login_form(
    request: web.Request, *, error: str = "", status: int = 200, email: str = ""
) -> web.Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        "login.html",
        status=status,
        title="Đăng nhập",
        csrf=token,
        error=error,
        email=email,
        next=_safe_next(request.query.get("next", "/admin")),
    )
    set_cookie(response, LOGIN_CSRF_COOKIE, token, secure=_secure(request), max_age=3600)
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    if request.get(SIGNED) is not None:
        raise web.HTTPSeeOther("/admin")
    return _login_form(request)


async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email = str(form.get("email") or "")[:254]
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), str(form.get(CSRF_FIELD) or "")):
        return _login_form(
            request, status=403, email=email, error="Biểu mẫu đã hết hạn: hãy thử lại."
        )
    result = await _guard(request).attempt(
        email, str(form.get("password") or ""), request.remote or "unknown"
    )
    if result.locked_seconds:
        minutes = max(1, -(-result.locked_seconds // 60))
        return _login_form(
            request,
            status=429,
            email=email,
            error=f"Đăng nhập sai quá nhiều lần: tạm khóa, hãy thử lại sau {minutes} phút.",
        )
    if result.user is None:
        log.warning("console: failed sign-in from %s", request.remote)
        return _login_form(
            request, status=401, email=email, error="Email hoặc mật khẩu không đúng."
        )
    settings = request.app[SETTINGS]
    token, _ = await open_session(result.user, settings.CONSOLE_SESSION_HOURS)
    await audit.record(actor_of_user(result.user), "POST /admin/login", status=303, source=SOURCE)
    target = _safe_next(str(form.get("next") or "/admin"))
    response = web.HTTPSeeOther(target)
    set_cookie(
        response,
        COOKIE,
        token,
        secure=_secure(request),
        max_age=settings.CONSOLE_SESSION_HOURS * 3600,
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


@page("staff")
async def logout(request: web.Request) -> web.StreamResponse:
    await close_session(request.cookies.get(COOKIE, ""))
    await audit.record(actor_of(request), "POST /admin/logout", status=303, source=SOURCE)
    response = web.HTTPSeeOther("/admin/login")
    response.del_cookie(COOKIE, path="/")
    raise response


# --- dashboard and till ------------------------------------------------------------------
@page("staff")
async def home(request: web.Request) -> web.StreamResponse:
    if not actor_of(request).at_least("manager"):
        raise web.HTTPSeeOther("/admin/till")
    stats = await dashboard.collect()
    labels = [d.strftime("%d/%m") for d in stats.days]
    charts = {
        "orders": dashboard.bar_chart(stats.orders_by_day, labels, title="Đơn hàng mỗi ngày"),
        "revenue": dashboard.bar_chart(stats.revenue_by_day, labels, title="Doanh thu mỗi ngày"),
        "plays": dashboard.bar_chart(stats.plays_by_day, labels, title="Lượt chơi mỗi ngày"),
    }
    content = request.app[CONTENT].current
    threshold = content.promotions.registration_threshold
    checked = [(game, registration(game, threshold)) for game in content.games]
    active = await active_entries()
    return render(
        "dashboard.html",
        title="Tổng quan",
        signed=request[SIGNED],
        csrf=_csrf(request),
        stats=stats,
        charts=charts,
        running=await broadcasts.running(),
        journeys=[(j, active.get(j.id, 0)) for j in content.journeys],
        registrations=[(game, reg) for game, reg in checked if reg.required],
    )


@page("staff")
async def till(request: web.Request) -> web.StreamResponse:
    return render("till.html", title="Quầy", signed=request[SIGNED], csrf=_csrf(request))


# --- members -----------------------------------------------------------------------------
LIVE = {"merged_into_id": None, "erased_at": None}


async def _search(query: str) -> list[Member]:
    query = query.strip()
    if not query:
        return await Member.filter(**LIVE).order_by("-id").limit(20)
    found: list[Member] = []
    with contextlib.suppress(MemberNotFound, LoyaltyError):
        found.append(await members.find(query))
    if not is_phone_like(query):
        by_name = await Member.filter(name__icontains=query, **LIVE).order_by("-id").limit(50)
        found.extend(m for m in by_name if all(m.id != f.id for f in found))
        with contextlib.suppress(InvalidInput):  # a tag, exactly (index `member_tag (tag)`)
            tagged = MemberTag.filter(tag=normalize_tag(query)).values_list("member_id")
            by_tag = await Member.filter(id__in=Subquery(tagged), **LIVE).order_by("-id").limit(50)
            found.extend(m for m in by_tag if all(m.id != f.id for f in found))
    return found


@page("manager")
async def members_search(request: web.Request) -> web.StreamResponse:
    query = request.query.get("q", "")[:64]
    found = await _search(query)
    return render(
        "members.html",
        title="Thành viên",
        signed=request[SIGNED],
        csrf=_csrf(request),
        query=query,
        found=found,
    )


async def _member_or_404(request: web.Request) -> Member:
    try:
        return await members.get_by_code(request.match_info["code"])
    except (MemberNotFound, LoyaltyError):
        raise _not_found(request, "Không tìm thấy thành viên này.") from None


async def _member_page(
    request: web.Request, member: Member, *, error: str = "", status: int = 200
) -> web.Response:
    config = request.app[CONTENT].current.loyalty
    progress = tiers.progress(member, config)
    return render(
        "member.html",
        status=status,
        title=member.name or member.member_code,
        signed=request[SIGNED],
        csrf=_csrf(request),
        member=member,
        tier=progress.tier.name,
        identities=await MemberIdentity.filter(member_id=member.id).order_by("id"),
        ledger=await points.history(member, limit=50),
        vouchers=await vouchers.list_for_member(member, now=datetime.now(UTC)),
        orders=await Order.filter(member_id=member.id).order_by("-paid_at").limit(50),
        plays=await Play.filter(member_id=member.id).order_by("-created_at").limit(50),
        consents=await consent.history(member),
        tags=await tags.tags_of(member.id),
        rfm=await MemberRfm.get_or_none(member_id=member.id),
        segments=await read.segments_of(member.id),
        journeys=await JourneyEnrolment.filter(member_id=member.id).order_by("-entered_at"),
        error=error,
        done=request.query.get("done", ""),
    )


@page("manager")
async def member_360(request: web.Request) -> web.StreamResponse:
    return await _member_page(request, await _member_or_404(request))


@page("manager")
async def adjust_points(request: web.Request) -> web.StreamResponse:
    member = await _member_or_404(request)
    form = request[FORM]
    reason = str(form.get("reason") or "").strip()
    raw = str(form.get("amount") or "").strip().replace(".", "").replace(",", "")
    if not reason:
        return await _member_page(request, member, status=422, error="Hãy ghi lý do điều chỉnh.")
    try:
        amount = int(raw)
    except ValueError:
        return await _member_page(
            request, member, status=422, error="Số điểm phải là số nguyên, ví dụ 50 hoặc -20."
        )
    before = member.points_balance
    try:
        entry = await points.adjust(
            member, amount, reason=reason, config=request.app[CONTENT].current.loyalty
        )
    except (InvalidAmount, InsufficientPoints) as exc:
        message = (
            "Không đủ điểm để trừ."
            if isinstance(exc, InsufficientPoints)
            else "Số điểm phải khác 0 và không quá giới hạn."
        )
        return await _member_page(request, member, status=422, error=message)
    await audit.record(
        actor_of(request),
        "POST /admin/members/{code}/points",
        target=f"member={member.member_code}",
        status=303,
        detail={
            "amount": amount,
            "before": before,
            "after": entry.balance_after,
            "reason": reason[:200],
        },
        source=SOURCE,
    )
    raise web.HTTPSeeOther(f"/admin/members/{member.member_code}?done=points")


@page("manager")
async def edit_tags(request: web.Request) -> web.StreamResponse:
    """Add or remove tags (`,` or `;` between them), through the same service as
    `POST`/`DELETE /api/v1/admin/members/{key}/tags`; audited with before and after."""
    member = await _member_or_404(request)
    form = request[FORM]
    action = str(form.get("action") or "add")
    try:
        wanted = split_tags(str(form.get("tags") or ""))
    except InvalidInput:
        wanted = []
    if not wanted or action not in ("add", "remove"):
        error = "Nhập ít nhất một nhãn (tối đa 64 ký tự mỗi nhãn, cách nhau bằng dấu phẩy)."
        return await _member_page(request, member, status=422, error=error)
    before = await tags.tags_of(member.id)
    try:
        if action == "add":
            after = await tags.add_tags(member, wanted)
        else:
            after = await tags.remove_tags(member, wanted)
    except InvalidInput:
        error = f"Tối đa {tags.MAX_TAGS_PER_CALL} nhãn mỗi lần."
        return await _member_page(request, member, status=422, error=error)
    await audit.record(
        actor_of(request),
        "POST /admin/members/{code}/tags",
        target=f"member={member.member_code}",
        status=303,
        detail={"action": action, "before": before, "after": after},
        source=SOURCE,
    )
    raise web.HTTPSeeOther(f"/admin/members/{member.member_code}?done=tags")


# --- content -----------------------------------------------------------------------------
def _lines_of(text: str, problems: list[Problem]) -> list[tuple[Problem, str]]:
    lines = text.splitlines()
    return [(p, lines[p.line - 1] if 0 < p.line <= len(lines) else "") for p in problems]


async def _content_form(
    request: web.Request,
    *,
    text: str | None = None,
    base: str | None = None,
    problems: list[Problem] | None = None,
    message: str = "",
    conflict: bool = False,
    status: int = 200,
) -> web.Response:
    store = request.app[CONTENT]
    disk = content_editor.read_text(store.path)
    settings = request.app[SETTINGS]
    return render(
        "content.html",
        status=status,
        title="Nội dung",
        signed=request[SIGNED],
        csrf=_csrf(request),
        text=disk if text is None else text,
        base=content_editor.sha256_of(disk) if base is None else base,
        problems=_lines_of(disk if text is None else text, problems or []),
        message=message or {"1": "Đã lưu."}.get(request.query.get("saved", ""), ""),
        conflict=conflict,
        versions=await content_editor.versions(),
        sandbox=settings.sandbox_enabled,
        path=str(store.path.name),
    )


@page("manager")
async def content_page(request: web.Request) -> web.StreamResponse:
    return await _content_form(request)


async def _save(
    request: web.Request, text: str, base: str, note: str
) -> web.StreamResponse | None:
    store = request.app[CONTENT]
    signed = request[SIGNED]
    try:
        saved = await content_editor.save(
            store.path, text, base_hash=base, by=signed.user.email, note=note
        )
    except ContentError as exc:
        return await _content_form(
            request,
            text=text,
            base=base,
            problems=exc.problems,
            status=422,
            message=f"Chưa lưu: {len(exc.problems)} lỗi cần sửa.",
        )
    except content_editor.Conflict:
        return await _content_form(
            request,
            text=text,
            base=base,
            conflict=True,
            status=409,
            message="Chưa lưu: tệp nội dung vừa được sửa ở nơi khác. Bản của bạn vẫn ở đây; "
            "hãy tải lại trang để xem bản mới rồi sửa lại.",
        )
    await store.check(settle=False)  # live at once, not at the next poll
    await audit.record(
        actor_of(request),
        f"POST /admin/content ({note})",
        target=f"content={saved.sha256[:12]}",
        status=303,
        detail={"before": base[:12], "after": saved.sha256[:12], "version": saved.version.id},
        source=SOURCE,
    )
    return None


@page("manager")
async def content_submit(request: web.Request) -> web.StreamResponse:
    form = request[FORM]
    text = str(form.get("text") or "").replace("\r\n", "\n")
    base = str(form.get("base") or "")
    if form.get("action") == "check":
        found = content_editor.problems_in(text, request.app[CONTENT].path)
        message = f"{len(found)} lỗi." if found else "Hợp lệ: có thể lưu."
        return await _content_form(
            request,
            text=text,
            base=base,
            problems=found,
            message=message,
            status=422 if found else 200,
        )
    refused = await _save(request, text, base, "save")
    if refused is not None:
        return refused
    raise web.HTTPSeeOther("/admin/content?saved=1")


async def _version_or_404(request: web.Request) -> ContentVersion:
    raw = request.match_info["id"]
    version = await ContentVersion.get_or_none(id=int(raw)) if raw.isdigit() else None
    if version is None:
        raise _not_found(request, "Không có phiên bản nội dung này.")
    return version


@page("manager")
async def content_version(request: web.Request) -> web.StreamResponse:
    version = await _version_or_404(request)
    disk = content_editor.read_text(request.app[CONTENT].path)
    return render(
        "version.html",
        title=f"Phiên bản {version.id}",
        signed=request[SIGNED],
        csrf=_csrf(request),
        version=version,
        base=content_editor.sha256_of(disk),
        is_current=version.sha256 == content_editor.sha256_of(disk),
        lines=content_editor.diff(disk, version.text, "hiện tại", f"phiên bản {version.id}"),
    )


@page("manager")
async def content_rollback(request: web.Request) -> web.StreamResponse:
    version = await _version_or_404(request)
    base = str(request[FORM].get("base") or "")
    refused = await _save(request, version.text, base, f"rollback to {version.id}")
    if refused is not None:
        return refused
    raise web.HTTPSeeOther("/admin/content?saved=1")


# --- users -------------------------------------------------------------------------------
async def _users_page(
    request: web.Request, *, error: str = "", shown: str = "", status: int = 200
) -> web.Response:
    return render(
        "users.html",
        status=status,
        title="Người dùng",
        signed=request[SIGNED],
        csrf=_csrf(request),
        users=await ConsoleUser.all().order_by("email"),
        error=error,
        shown=shown,
    )


@page("owner")
async def users_page(request: web.Request) -> web.StreamResponse:
    return await _users_page(request)


@page("owner")
async def users_add(request: web.Request) -> web.StreamResponse:
    """The same as `admin add-user`: an empty password is generated and shown once."""
    form = request[FORM]
    email = str(form.get("email") or "")
    role = str(form.get("role") or "")
    password = str(form.get("password") or "")
    generated = generate_password() if not password else ""
    try:
        user, created = await add_user(email, role, password or generated)
    except AccountError as exc:
        return await _users_page(request, status=422, error=_account_message(exc))
    await audit.record(
        actor_of(request),
        "POST /admin/users",
        target=f"user={user.id}",
        status=200,
        detail={"role": user.role, "created": created},
        source=SOURCE,
    )
    shown = f"Mật khẩu của {user.email} (chỉ hiện một lần): {generated}" if generated else ""
    return await _users_page(request, shown=shown or f"Đã lưu {user.email}.")


def _account_message(exc: AccountError) -> str:
    text = str(exc)
    if "role" in text:
        return "Vai trò phải là chủ, quản lý hoặc nhân viên."
    if "password" in text:
        return f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự (để trống để tạo tự động)."
    return "Email không hợp lệ."


@page("owner")
async def users_deactivate(request: web.Request) -> web.StreamResponse:
    raw = request.match_info["id"]
    user = await ConsoleUser.get_or_none(id=int(raw)) if raw.isdigit() else None
    if user is None:
        raise _not_found(request, "Không có người dùng này.")
    if user.id == request[SIGNED].user.id:
        return await _users_page(
            request, status=422, error="Không thể tự khóa tài khoản của mình."
        )
    user.active = False
    await user.save(update_fields=["active", "updated_at"])
    await ConsoleSession.filter(user_id=user.id).delete()  # signed out everywhere, now
    await audit.record(
        actor_of(request),
        "POST /admin/users/{id}/deactivate",
        target=f"user={user.id}",
        status=303,
        detail={"before": "active", "after": "inactive"},
        source=SOURCE,
    )
    raise web.HTTPSeeOther("/admin/users")
