"""Data rights over HTTP: consents, the data export, the erasure, and who may do what."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientResponse

from bot.runtime import RUNTIME
from loyalty import stock
from loyalty.models import (
    AuditEntry,
    Award,
    ConsentRecord,
    Member,
    Order,
    Play,
    PointsEntry,
    Voucher,
)
from tests.miniapp_api.conftest import ADMIN_KEY, Api, problem

STAFF_KEY = "staff-key-0123456789"
MANAGER_KEY = "manager-key-0123456789"
ROLE_KEYS = f"staff:{STAFF_KEY},manager:{MANAGER_KEY}"


async def as_key(api: Api, key: str, method: str, path: str, **kw: Any) -> ClientResponse:
    return await api.client.request(method, path, headers={"X-Api-Key": key}, **kw)


async def consents(api: Api, token: str) -> dict[str, Any]:
    resp = await api.me("GET", "/api/v1/me/consents", token)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    return {"marketing_opt_in": body["marketing_opt_in"]} | {
        i["purpose"]: i for i in body["items"]
    }


async def member_with_history(api: Api, user_id: str = "5001", phone: str = "84912000555"):
    """A signed-in member with a phone, an order (points, tier), a play and vouchers."""
    token, zalo_token = await api.login(user_id, "Ngọc")
    code = api.zalo.phone_token(zalo_token, phone)
    resp = await api.me("POST", "/api/v1/me/phone", token, json={"token": code})
    assert resp.status == 200, await resp.text()
    resp = await api.order(f"ord-{user_id}", 6_000_000, phone=phone)
    assert resp.status == 201, await resp.text()
    resp = await api.me("POST", "/api/v1/games/lucky-wheel/plays", token)
    assert resp.status == 201, await resp.text()
    card = await api.card(token)
    return token, card


async def test_marketing_needs_an_explicit_grant_of_the_shown_text(api: Api) -> None:
    token, _ = await api.login("5101", "Lan")
    state = await consents(api, token)
    assert state["marketing_opt_in"] is False  # silence is not consent
    marketing = state["marketing"]
    assert marketing["granted"] is False and marketing["updated_at"] is None
    assert "dừng" in marketing["text"] and "Cà Phê" in marketing["text"]  # the shop's name

    put = {"purpose": "marketing", "granted": True}
    resp = await api.me("PUT", "/api/v1/me/consents", token, json=put)
    await problem(resp, 409, "consent_text_changed")  # no version: not shown
    resp = await api.me("PUT", "/api/v1/me/consents", token, json={**put, "text_version": "abc"})
    body = await problem(resp, 409, "consent_text_changed")
    assert body["text_version"] == marketing["text_version"]

    resp = await api.me(
        "PUT",
        "/api/v1/me/consents",
        token,
        json={**put, "text_version": marketing["text_version"]},
    )
    assert resp.status == 200, await resp.text()
    state = await consents(api, token)
    assert state["marketing_opt_in"] is True
    assert state["marketing"]["channel"] == "miniapp"
    assert state["marketing"]["granted_text_version"] == marketing["text_version"]

    card = await api.card(token)
    resp = await api.admin("GET", f"/api/v1/admin/members/{card['member_code']}")
    assert (await resp.json())["marketing_opt_in"] is True

    resp = await api.me(
        "PUT", "/api/v1/me/consents", token, json={"purpose": "marketing", "granted": False}
    )
    assert resp.status == 200
    assert (await consents(api, token))["marketing_opt_in"] is False
    resp = await api.admin("GET", f"/api/v1/admin/members/{card['member_code']}")
    assert (await resp.json())["marketing_opt_in"] is False

    rows = await ConsentRecord.filter(purpose="marketing").order_by("id")
    assert [r.granted for r in rows] == [True, False]  # the ledger keeps both decisions
    assert rows[0].text == marketing["text"]

    resp = await api.me(
        "PUT",
        "/api/v1/me/consents",
        token,
        json={"purpose": "membership_phone", "granted": True, "text_version": "ab"},
    )
    await problem(resp, 422, "invalid_consent")
    resp = await api.me("PUT", "/api/v1/me/consents", token, json={"purpose": "spam"})
    await problem(resp, 422, "validation_error")


async def test_phone_share_records_its_purpose_and_withdrawal_removes_the_phone(
    api: Api,
) -> None:
    token, zalo_token = await api.login("5201", "Hoa")
    code = api.zalo.phone_token(zalo_token, "84912000222")
    await api.me("POST", "/api/v1/me/phone", token, json={"token": code})
    state = await consents(api, token)
    phone = state["membership_phone"]
    assert phone["granted"] is True and phone["method"] == "phone_share"
    assert "thẻ thành viên" in phone["text"]
    assert state["marketing_opt_in"] is False  # sharing a phone is not a marketing opt-in

    resp = await api.me(
        "PUT",
        "/api/v1/me/consents",
        token,
        json={"purpose": "membership_phone", "granted": False},
    )
    assert resp.status == 200
    assert (await api.card(token))["phone"] is None
    resp = await api.admin("GET", "/api/v1/admin/members/0912000222")
    await problem(resp, 404, "member_not_found")


async def test_export_holds_everything(api: Api) -> None:
    token, card = await member_with_history(api)
    resp = await api.me("GET", "/api/v1/me/data", token)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Cache-Control"] == "no-store"
    data = await resp.json()
    assert data["profile"]["member_code"] == card["member_code"]
    assert data["profile"]["phone"] == "84912000555"
    assert data["profile"]["name"] == "Ngọc"
    assert data["profile"]["points_balance"] == card["points"]
    kinds = {i["kind"] for i in data["identities"]}
    assert {"miniapp", "zalo_app", "phone"} <= kinds
    assert [o["order_id"] for o in data["orders"]] == ["ord-5001"]
    assert data["orders"][0]["amount"] == 6_000_000
    assert sum(e["amount"] for e in data["points"]) == card["points"]
    assert {v["source"] for v in data["vouchers"]} >= {"phone_capture"}
    assert [p["game_id"] for p in data["plays"]] == ["lucky-wheel"]
    assert [c["purpose"] for c in data["consents"]] == ["membership_phone"]
    entry = await AuditEntry.get(action="GET /v1/me/data")
    assert entry.actor_kind == "member" and entry.target.startswith("member:")


async def test_erasure_keeps_the_ledgers_and_forgets_the_person(api: Api) -> None:
    token, card = await member_with_history(api)
    member = await Member.get(member_code=card["member_code"])
    before_points = await PointsEntry.filter(member_id=member.id).count()
    before_vouchers = await Voucher.filter(member_id=member.id).count()
    game = api.client.app[RUNTIME].content.current.game("lucky-wheel")
    assert game is not None
    report_before = await stock.report(game)
    awards_before = await Award.filter(member_id=member.id).count()

    resp = await api.me("DELETE", "/api/v1/me", token)
    assert resp.status == 202, await resp.text()
    assert (await resp.json())["already"] is False

    # The person is gone: the session, the old code, the old phone.
    await problem(await api.me("GET", "/api/v1/me/card", token), 401, "invalid_session")
    for key in (card["member_code"], "84912000555", "0912000555"):
        resp = await api.admin("GET", f"/api/v1/admin/members/{key}")
        await problem(resp, 404, "member_not_found")

    # The ledgers are intact and still add up, on an anonymous row.
    row = await Member.get(id=member.id)
    assert row.name is None and row.phone is None and row.erased_at is not None
    assert row.member_code != card["member_code"] and row.marketing_opt_in is False
    assert await row.identities.all().count() == 0  # type: ignore[attr-defined]
    entries = await PointsEntry.filter(member_id=member.id)
    assert len(entries) == before_points
    assert sum(e.amount for e in entries) == row.points_balance == card["points"]
    assert await Voucher.filter(member_id=member.id).count() == before_vouchers
    assert await stock.report(game) == report_before  # the promotion report is unchanged
    assert await Award.filter(member_id=member.id).count() == awards_before
    assert await Play.filter(member_id=member.id).count() == 1
    order = await Order.get(order_id="ord-5001")
    assert order.member_id == member.id  # type: ignore[attr-defined]
    assert order.result["member_code"] == row.member_code  # a POS replay names nobody

    # Replaying the order answers the first result, naming no one.
    resp = await api.order("ord-5001", 6_000_000, phone="84912000555")
    assert resp.status == 200 and (await resp.json())["member_code"] == row.member_code

    # Back again, at the till or in the Mini App: a new member, with nothing of the old one.
    resp = await api.order("ord-5001-b", 100_000, phone="84912000555")
    assert resp.status == 201
    assert (await resp.json())["member_code"] not in (card["member_code"], row.member_code)
    token2, _ = await api.login("5001", "Ngọc")
    card2 = await api.card(token2)
    assert card2["member_code"] != card["member_code"] and card2["points"] == 0
    assert card2["phone"] is None

    entry = await AuditEntry.get(action="DELETE /v1/me")
    assert entry.target == f"member:{member.id}" and entry.status == 202


async def test_role_matrix_for_phones_exports_and_erasure(start_api: Any) -> None:
    api = await start_api(ADMIN_API_KEYS=ROLE_KEYS)
    token, card = await member_with_history(api, "5301", "84912000333")
    code = card["member_code"]
    qr = card["qr"]["token"]

    async def phone_seen(key: str, look_up: str) -> str:
        resp = await as_key(api, key, "GET", f"/api/v1/admin/members/{look_up}")
        assert resp.status == 200, await resp.text()
        return (await resp.json())["phone"]

    assert await phone_seen(STAFF_KEY, code) == "0912***333"  # masked by code
    assert await phone_seen(STAFF_KEY, qr) == "84912000333"  # the member shows the QR
    assert await phone_seen(STAFF_KEY, "0912000333") == "84912000333"  # typed by staff
    assert await phone_seen(MANAGER_KEY, code) == "84912000333"
    assert await phone_seen(ADMIN_KEY, code) == "84912000333"

    data_path = f"/api/v1/admin/members/{code}/data"
    resp = await as_key(api, STAFF_KEY, "GET", data_path)
    await problem(resp, 403, "forbidden_role")
    resp = await as_key(api, MANAGER_KEY, "GET", data_path)
    assert resp.status == 200
    assert (await resp.json())["profile"]["phone"] == "84912000333"
    resp = await as_key(api, STAFF_KEY, "DELETE", f"/api/v1/admin/members/{code}")
    await problem(resp, 403, "forbidden_role")
    resp = await as_key(api, STAFF_KEY, "POST", "/api/v1/admin/orders/ord-5301/refund")
    await problem(resp, 403, "forbidden_role")

    exports = await AuditEntry.filter(action="GET /v1/admin/members/{key}/data")
    assert [(e.actor_role, e.status) for e in exports] == [("staff", 403), ("manager", 200)]

    resp = await as_key(api, MANAGER_KEY, "DELETE", f"/api/v1/admin/members/{code}")
    assert resp.status == 202
    resp = await as_key(api, MANAGER_KEY, "GET", f"/api/v1/admin/members/{code}")
    await problem(resp, 404, "member_not_found")
    resp = await api.admin("GET", "/api/v1/admin/members/0912000333")
    await problem(resp, 404, "member_not_found")
    await problem(await api.me("GET", "/api/v1/me/data", token), 401, "invalid_session")


async def test_counter_consent_is_recorded_by_the_staff_key(start_api: Any) -> None:
    api = await start_api(ADMIN_API_KEYS=ROLE_KEYS)
    token, card = await member_with_history(api, "5401", "84912000444")
    text = (await consents(api, token))["marketing"]
    path = f"/api/v1/admin/members/{card['member_code']}/consents"
    body = {"purpose": "marketing", "granted": True, "text_version": text["text_version"]}
    resp = await as_key(api, STAFF_KEY, "PUT", path, json=body)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["marketing_opt_in"] is True
    row = await ConsentRecord.get(purpose="marketing")
    assert row.channel == "counter" and row.recorded_by.startswith("key:")
    assert STAFF_KEY not in row.recorded_by
