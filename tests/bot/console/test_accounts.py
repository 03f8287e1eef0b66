"""Sign-in, sessions, cookies, lockout, CSRF and the audit log, over real HTTP."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.appkeys import KV
from bot.backends.memory.kv import MemoryKeyValue
from bot.console.accounts import Limits, SignInGuard, add_user
from bot.models import ConsoleSession, ConsoleUser
from loyalty.models import AuditEntry
from tests.bot.console.conftest import PASSWORD, USERS, Console, csrf_in

ROOT = Path(__file__).resolve().parents[3]


async def test_sign_in_sets_a_strict_http_only_expiring_cookie(console: Console) -> None:
    resp = await console.sign_in(USERS["manager"])
    assert resp.headers["Location"] == "/admin"
    cookie = resp.cookies["console_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) == console.settings.CONSOLE_SESSION_HOURS * 3600
    assert not cookie["secure"]  # plain http in the test
    stored = await ConsoleSession.get(user_id=(await ConsoleUser.get(email=USERS["manager"])).id)
    assert stored.token_hash != cookie.value  # only a hash is kept
    home = await console.get("/admin")
    assert home.status == 200 and "Tổng quan" in await home.text()


async def test_cookie_is_secure_behind_https(start_console: object) -> None:
    console = await start_console(PUBLIC_BASE_URL="https://shop.example.vn")  # type: ignore[operator]
    console.client.session.cookie_jar.clear()
    page = await console.client.get("/admin/login")
    token = csrf_in(await page.text())
    assert page.cookies["console_login_csrf"]["secure"]
    resp = await console.client.post(
        "/admin/login",
        data={"email": USERS["owner"], "password": PASSWORD, "csrf": token},
        headers={"Cookie": f"console_login_csrf={token}"},  # a Secure cookie: not sent on http
        allow_redirects=False,
    )
    assert resp.status == 303
    assert resp.cookies["console_session"]["secure"]


async def test_wrong_password_and_unknown_email_look_the_same(console: Console) -> None:
    wrong = await console.sign_in(USERS["staff"], "sai-mat-khau-1", expect=401)
    unknown = await console.sign_in("ai@dau.vn", PASSWORD, expect=401)
    assert "Email hoặc mật khẩu không đúng." in await wrong.text()
    assert "Email hoặc mật khẩu không đúng." in await unknown.text()
    assert "console_session" not in wrong.cookies


async def test_login_without_its_csrf_token_is_refused(console: Console) -> None:
    await console.client.get("/admin/login")
    resp = await console.client.post(
        "/admin/login",
        data={"email": USERS["owner"], "password": PASSWORD, "csrf": "forged"},
        allow_redirects=False,
    )
    assert resp.status == 403
    assert await ConsoleSession.all().count() == 0


async def test_lockout_refuses_even_the_right_password_then_ends(console: Console) -> None:
    limit = console.settings.CONSOLE_LOGIN_FAILURES
    for _ in range(limit):
        await console.sign_in(USERS["staff"], "sai-mat-khau-1", expect=401)
    locked = await console.sign_in(USERS["staff"], PASSWORD, expect=429)
    assert "tạm khóa" in await locked.text()
    # Another account from this address is still fine (the address limit is higher).
    await console.sign_in(USERS["manager"])
    # The lock is a window in the key-value store: once it ends, the right password works.
    digest = hashlib.sha256(USERS["staff"].encode()).hexdigest()[:16]
    store = console.client.app[KV]
    assert 0 < (await store.ttl(f"console:fail:account:{digest}") or 0) <= 15 * 60
    await store.delete(f"console:fail:account:{digest}")  # what the window's end does
    await console.sign_in(USERS["staff"])


async def test_an_attacker_elsewhere_cannot_lock_the_owner_out(db: str) -> None:
    guard = SignInGuard(MemoryKeyValue(), Limits(3, 100, 900))
    await add_user(USERS["owner"], "owner", PASSWORD)
    await add_user(USERS["staff"], "staff", PASSWORD)
    for _ in range(4):
        assert (await guard.attempt(USERS["owner"], "doan-bua-1234", "203.0.113.9")).user is None
        assert (await guard.attempt(USERS["staff"], "doan-bua-1234", "203.0.113.9")).user is None
    assert (await guard.attempt(USERS["owner"], PASSWORD, "203.0.113.9")).locked_seconds > 0
    # The owner's own address is not locked; a staff account is locked everywhere.
    assert (await guard.attempt(USERS["owner"], PASSWORD, "198.51.100.7")).user is not None
    assert (await guard.attempt(USERS["staff"], PASSWORD, "198.51.100.7")).locked_seconds > 0


async def test_address_limit_covers_every_account(db: str) -> None:
    guard = SignInGuard(MemoryKeyValue(), Limits(100, 4, 900))
    await add_user(USERS["manager"], "manager", PASSWORD)
    for i in range(4):
        await guard.attempt(f"khach{i}@x.vn", "sai-mat-khau", "203.0.113.9")
    assert (await guard.attempt(USERS["manager"], PASSWORD, "203.0.113.9")).locked_seconds > 0
    assert (await guard.attempt(USERS["manager"], PASSWORD, "10.0.0.1")).user is not None


async def test_expired_session_signs_out(console: Console) -> None:
    await console.sign_in(USERS["manager"])
    session = await ConsoleSession.first()
    assert session is not None
    session.expires_at = session.created_at - timedelta(seconds=1)
    await session.save()
    resp = await console.get("/admin/members")
    assert resp.status == 303 and resp.headers["Location"].startswith("/admin/login")
    assert await ConsoleSession.all().count() == 0


async def test_logout_ends_the_session(console: Console) -> None:
    await console.sign_in(USERS["staff"])
    resp = await console.post("/admin/logout")
    assert resp.status == 303
    assert await ConsoleSession.all().count() == 0
    assert (await console.get("/admin/till")).status == 303


async def test_a_form_post_without_csrf_is_refused(console: Console) -> None:
    await console.sign_in(USERS["owner"])
    resp = await console.post("/admin/logout", csrf=False)
    assert resp.status == 403
    assert await ConsoleSession.all().count() == 1


async def test_admin_api_takes_the_session_with_its_role_and_csrf(console: Console) -> None:
    await console.sign_in(USERS["staff"])
    body = {"order_id": "POS-1", "amount": 120_000, "phone": "0912345678"}
    refused = await console.api("POST", "/api/v1/admin/orders", json=body, csrf=False)
    assert refused.status == 403 and (await refused.json())["code"] == "csrf_failed"
    made = await console.api("POST", "/api/v1/admin/orders", json=body)
    assert made.status == 201, await made.text()
    looked = await console.api("GET", "/api/v1/admin/members/0912345678", csrf=False)
    assert looked.status == 200
    refund = await console.api("POST", "/api/v1/admin/orders/POS-1/refund", json={})
    assert refund.status == 403 and (await refund.json())["code"] == "forbidden_role"
    staff = await ConsoleUser.get(email=USERS["staff"])
    entries = await AuditEntry.filter(actor_kind="user", actor_id=str(staff.id)).order_by("id")
    actions = [(e.action, e.status) for e in entries]
    assert ("POST /admin/login", 303) in actions
    assert ("POST /v1/admin/orders", 201) in actions
    assert ("POST /v1/admin/orders/{order_id}/refund", 403) in actions
    assert all(e.actor_role == "staff" for e in entries)
    # Without a session the API still wants its key.
    console.client.session.cookie_jar.clear()
    anonymous = await console.client.get("/api/v1/admin/members/0912345678")
    assert anonymous.status == 401


@pytest.mark.slow
def test_add_user_command_reads_the_password_from_stdin(tmp_path: Path, clean_db: str) -> None:
    env = {**os.environ, "DATABASE_URL": clean_db, "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "bot", "admin", "add-user", "Chu@Shop.vn", "--role", "owner"]
    first = subprocess.run(run, input="mat-khau-rat-dai\n", env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "created console user chu@shop.vn (owner)"
    run[-1] = "manager"
    again = subprocess.run(run, input="mat-khau-khac-dai\n", env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert again.stdout.strip() == "updated console user chu@shop.vn (manager)"
    short = subprocess.run(run, input="ngan\n", env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    empty = subprocess.run(run, input="", env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert empty.returncode == 2 and "no password on stdin" in empty.stderr


@pytest.mark.parametrize("role", ["admin", ""])
async def test_add_user_refuses_a_role_it_does_not_know(db: str, role: str) -> None:
    from bot.console.accounts import AccountError

    with pytest.raises(AccountError):
        await add_user("a@b.vn", role, PASSWORD)
