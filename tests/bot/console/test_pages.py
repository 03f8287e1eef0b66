"""The console's pages over real HTTP: the role matrix over every route, the members pages
with an audited points adjustment, the dashboard's numbers, no inline script anywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.models import Broadcast, ConsoleSession, ConsoleUser, ContentVersion
from loyalty.models import AuditEntry, Member, PointsEntry
from tests.bot.console.conftest import USERS, Console

PHONE = "0912345678"
ROLES = ("staff", "manager", "owner")
RANK = {"anyone": 0, "staff": 1, "manager": 2, "owner": 3}


async def _member(console: Console, amount: int = 150_000, order_id: str = "POS-1") -> str:
    resp = await console.client.post(
        "/api/v1/admin/orders",
        json={"order_id": order_id, "amount": amount, "phone": PHONE},
        headers={"X-Api-Key": "test-admin-key"},
    )
    assert resp.status in (200, 201), await resp.text()
    return str((await resp.json())["member_code"])


def _routes(
    code: str, version: int, broadcast: int
) -> list[tuple[str, str, str, dict[str, Any], int]]:
    """(method, path, least role, form, status for an allowed role): every console route."""
    b = f"/admin/campaigns/broadcasts/{broadcast}"
    compose = {"name": "x", "segment": "all", "purpose": "update", "text": "Chào"}
    return [
        ("GET", "/admin/till", "staff", {}, 200),
        ("GET", "/admin/members", "manager", {}, 200),
        ("GET", "/admin/members?q=0912345678", "manager", {}, 200),
        ("GET", f"/admin/members/{code}", "manager", {}, 200),
        ("POST", f"/admin/members/{code}/points", "manager", {"amount": "5", "reason": "x"}, 303),
        ("POST", f"/admin/members/{code}/tags", "manager", {"tags": "vip"}, 303),
        ("GET", "/admin/content", "manager", {}, 200),
        (
            "POST",
            "/admin/content",
            "manager",
            {"action": "check", "text": "x: [", "base": ""},
            422,
        ),
        ("GET", f"/admin/content/versions/{version}", "manager", {}, 200),
        ("POST", f"/admin/content/versions/{version}/rollback", "manager", {"base": "old"}, 422),
        ("GET", "/admin/users", "owner", {}, 200),
        ("POST", "/admin/users", "owner", {"email": "x", "role": "staff"}, 422),
        ("POST", "/admin/users/999/deactivate", "owner", {}, 404),
        ("GET", "/admin/campaigns/segments", "manager", {}, 200),
        ("GET", "/admin/campaigns/segments/all", "manager", {}, 200),
        ("GET", "/admin/campaigns/segments/all/members.csv", "manager", {}, 200),
        ("GET", "/admin/campaigns/broadcasts", "manager", {}, 200),
        ("GET", "/admin/campaigns/broadcasts/new", "manager", {}, 200),
        (
            "POST",
            "/admin/campaigns/broadcasts/new",
            "manager",
            {**compose, "action": "dry_run"},
            200,
        ),
        ("POST", "/admin/campaigns/broadcasts/new", "manager", {**compose, "name": ""}, 422),
        ("POST", "/admin/campaigns/broadcasts/preview", "manager", compose, 200),
        ("GET", b, "manager", {}, 200),
        ("GET", f"{b}/cancel", "manager", {}, 200),
        ("POST", f"{b}/cancel", "manager", {}, 409),  # already cancelled: refused, not 403
        ("GET", "/admin/campaigns/journeys", "manager", {}, 200),
        ("GET", "/admin/campaigns/journeys/welcome", "manager", {}, 200),
        ("GET", "/admin/reports", "manager", {}, 200),
        ("GET", "/admin/reports/cohorts?by=joined", "manager", {}, 200),
        ("GET", "/admin/reports/cohorts.csv", "manager", {}, 200),
        ("GET", "/admin/reports/rfm", "manager", {}, 200),
        ("GET", "/admin/reports/rfm.csv", "manager", {}, 200),
        ("GET", "/admin/reports/sources", "manager", {}, 200),
        ("GET", "/admin/reports/sources.csv", "manager", {}, 200),
        ("GET", "/admin/reports/games/lucky-wheel", "manager", {}, 200),
        ("GET", "/admin/reports/games/lucky-wheel.csv", "manager", {}, 200),
        ("GET", "/admin/reports/games/nope", "manager", {}, 404),
    ]


async def test_role_matrix_over_every_console_route(console: Console) -> None:
    code = await _member(console)
    # An invalid text: an allowed role reaches the rollback and gets its 422.
    version = await ContentVersion.create(sha256="0" * 64, text="x", saved_at=_now())
    finished = await Broadcast.create(
        name="Đã hủy", segment="all", purpose="update", message={"text": "x"},
        status="cancelled",
    )  # fmt: skip
    routes = _routes(code, version.id, finished.id)
    # Signed out: every page sends to the sign-in page, every form too.
    console.client.session.cookie_jar.clear()
    for method, path, _, form, _ in routes:
        resp = await (console.get(path) if method == "GET" else console.post(path, form))
        assert resp.status == 303, (method, path, resp.status)
        assert resp.headers["Location"].startswith("/admin/login"), path
    for role in ROLES:
        await console.as_role(role)
        for method, path, least, form, allowed in routes:
            resp = await (console.get(path) if method == "GET" else console.post(path, form))
            want = allowed if RANK[role] >= RANK[least] else 403
            assert resp.status == want, (role, method, path, resp.status)
            if want == 403:
                assert "Không có quyền" in await resp.text()
        home = await console.get("/admin")
        if role == "staff":
            assert home.status == 303 and home.headers["Location"] == "/admin/till"
        else:
            assert home.status == 200
    # Public: the sign-in page and the static files.
    console.client.session.cookie_jar.clear()
    assert (await console.get("/admin/login")).status == 200
    for name in ("console.js", "till.js", "content.js", "console.css", "jsQR.js", "broadcast.js"):
        assert (await console.get(f"/admin/static/{name}")).status == 200, name
    for bad in (".hidden.js", "missing.js", "x.py"):
        assert (await console.get(f"/admin/static/{bad}")).status == 404


def _now() -> Any:
    from loyalty.clock import utcnow

    return utcnow()


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


async def test_pages_have_no_inline_script_and_a_strict_policy(console: Console) -> None:
    code = await _member(console)
    await console.as_role("owner")
    for path in ("/admin", "/admin/till", "/admin/members", f"/admin/members/{code}",
                 "/admin/content", "/admin/users", "/admin/campaigns/segments",
                 "/admin/campaigns/segments/all", "/admin/campaigns/broadcasts",
                 "/admin/campaigns/broadcasts/new", "/admin/campaigns/journeys",
                 "/admin/campaigns/journeys/welcome", "/admin/reports",
                 "/admin/reports/cohorts", "/admin/reports/rfm", "/admin/reports/sources",
                 "/admin/reports/games/lucky-wheel"):  # fmt: skip
        resp = await console.get(path)
        html = await resp.text()
        assert resp.status == 200, path
        assert not INLINE_SCRIPT.search(html), path
        assert not INLINE_HANDLER.search(html), path
        policy = resp.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert 'lang="vi"' in html


async def test_search_by_phone_name_and_code(console: Console) -> None:
    code = await _member(console)
    member = await Member.get(member_code=code)
    member.name = "Nguyễn Thu Hà"
    await member.save(update_fields=["name"])
    await console.as_role("manager")
    for query in (PHONE, "84912345678", code, "thu hà", "Nguyễn"):
        html = await (await console.get(f"/admin/members?q={query}")).text()
        assert f"/admin/members/{code}" in html, query
    html = await (await console.get("/admin/members?q=khong-ai")).text()
    assert "Không tìm thấy thành viên nào." in html


async def test_member_360_and_an_audited_points_adjustment(console: Console) -> None:
    code = await _member(console)
    await console.as_role("manager")
    page = await (await console.get(f"/admin/members/{code}")).text()
    assert "POS-1" in page and "84912345678" in page and "Lịch sử điểm" in page
    before = (await Member.get(member_code=code)).points_balance
    resp = await console.post(
        f"/admin/members/{code}/points", {"amount": "-5", "reason": "Khách đổi quà tại quầy"}
    )
    assert resp.status == 303
    assert (await Member.get(member_code=code)).points_balance == before - 5
    entry = await PointsEntry.get(kind="adjust")
    assert entry.amount == -5 and entry.reason == "Khách đổi quà tại quầy"
    audit = await AuditEntry.get(action="POST /admin/members/{code}/points")
    assert audit.source == "console" and audit.actor_role == "manager"
    assert audit.target == f"member={code}"
    assert audit.detail == {
        "amount": -5, "before": before, "after": before - 5, "reason": "Khách đổi quà tại quầy"
    }  # fmt: skip
    too_much = await console.post(
        f"/admin/members/{code}/points", {"amount": "-999999", "reason": "sai"}
    )
    assert too_much.status == 422 and "Không đủ điểm" in await too_much.text()
    no_reason = await console.post(f"/admin/members/{code}/points", {"amount": "5"})
    assert no_reason.status == 422
    not_a_number = await console.post(
        f"/admin/members/{code}/points", {"amount": "năm", "reason": "x"}
    )
    assert not_a_number.status == 422
    assert await PointsEntry.filter(kind="adjust").count() == 1


async def test_dashboard_counts_members_orders_and_revenue(console: Console) -> None:
    await _member(console, 150_000, "POS-1")
    await _member(console, 50_000, "POS-2")
    await console.as_role("manager")
    html = await (await console.get("/admin")).text()

    def stat(name: str) -> str:
        found = re.search(rf'id="stat-{name}">([^<]*)<', html)
        assert found, name
        return found.group(1)

    assert stat("members") == "1" and stat("phone") == "1" and stat("new") == "1"
    assert stat("orders") == "2"
    assert stat("revenue") == "200.000 ₫"
    assert html.count('<svg class="chart"') == 3
    assert "cao nhất 200.000 ₫" in html and "cao nhất 2</p>" in html  # both orders today
    assert "<title>" in html


@pytest.mark.parametrize("role", ["manager"])
async def test_an_unknown_member_is_a_404(console: Console, role: str) -> None:
    await console.as_role(role)
    missing = await console.get("/admin/members/ZZZZZZ")
    assert missing.status == 404 and "Không tìm thấy thành viên này." in await missing.text()
    assert missing.content_type == "text/html"
    assert (await console.get("/admin/content/versions/999")).status == 404
    assert (await console.get("/admin/content/versions/abc")).status == 404
    assert USERS[role]


async def test_the_owner_adds_a_user_with_a_password_shown_once_and_deactivates_them(
    console: Console,
) -> None:
    await console.as_role("owner")
    resp = await console.post("/admin/users", {"email": "Moi@Shop.vn", "role": "staff"})
    html = await resp.text()
    assert resp.status == 200
    found = re.search(r"\(chỉ hiện một lần\): ([A-Za-z0-9_-]+)<", html)
    assert found, html
    password = found.group(1)
    assert password not in await (await console.get("/admin/users")).text()
    new = await ConsoleUser.get(email="moi@shop.vn")
    entry = await AuditEntry.get(action="POST /admin/users")
    assert entry.target == f"user={new.id}" and entry.detail == {"role": "staff", "created": True}
    short = await console.post("/admin/users", {"email": "b@shop.vn", "role": "staff",
                                                "password": "ngan"})  # fmt: skip
    assert short.status == 422 and "ít nhất 10 ký tự" in await short.text()
    owner = await ConsoleUser.get(email=USERS["owner"])
    myself = await console.post(f"/admin/users/{owner.id}/deactivate")
    assert myself.status == 422
    # The new user signs in, then the owner locks the account: its session ends at once.
    other = Console(console.client, console.settings)
    await other.sign_in("moi@shop.vn", password)
    assert await ConsoleSession.filter(user_id=new.id).count() == 1
    await console.as_role("owner")
    locked = await console.post(f"/admin/users/{new.id}/deactivate")
    assert locked.status == 303
    assert await ConsoleSession.filter(user_id=new.id).count() == 0
    assert not (await ConsoleUser.get(id=new.id)).active
    await console.sign_in("moi@shop.vn", password, expect=401)
