"""The POS API: orders exactly once, refunds, member look-up, vouchers redeemed exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from games.config import VoucherSpec
from loyalty import codes, members, vouchers
from tests.miniapp_api.conftest import ADMIN_KEY, Api, problem


async def _member_code(api: Api, user: str = "1001") -> tuple[str, str]:
    token, _ = await api.login(user)
    return token, (await api.card(token))["member_code"]


async def test_an_order_gives_points_and_a_tier_reward_once(api: Api) -> None:
    token, code = await _member_code(api)
    resp = await api.order("HD-1", 5_500_000, member_code=code)
    assert resp.status == 201
    first = await resp.json()
    assert first["points"] == 550
    assert first["balance"] == 550
    assert first["tier"] == "Silver"
    assert first["upgraded_from"] == "Member"
    assert len(first["vouchers"]) == 1
    assert first["duplicate"] is False

    again = await api.order("HD-1", 5_500_000, member_code=code)
    assert again.status == 200
    assert await again.json() == {**first, "duplicate": True}

    more = await (await api.order("HD-2", 100_000, member_code=code)).json()
    assert more["points"] == 10 and more["vouchers"] == [] and more["tier"] == "Silver"
    card = await api.card(token)
    assert card["points"] == 560
    assert card["vouchers_available"] == 1


async def test_the_same_order_twenty_times_at_once_counts_once(api: Api) -> None:
    token, code = await _member_code(api)
    responses = await asyncio.gather(
        *(api.order("HD-RACE", 5_500_000, member_code=code) for _ in range(20))
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] * 19 + [201]
    bodies = [await r.json() for r in responses]
    assert {(b["points"], b["balance"], b["tier"]) for b in bodies} == {(550, 550, "Silver")}
    card = await api.card(token)
    assert card["points"] == 550
    assert card["vouchers_available"] == 1


async def test_a_refund_takes_the_points_back(api: Api) -> None:
    token, code = await _member_code(api)
    await api.order("HD-R", 5_500_000, member_code=code)
    resp = await api.admin("POST", "/api/v1/admin/orders/HD-R/refund")
    assert resp.status == 200
    body = await resp.json()
    assert body["points_reversed"] == 550
    assert body["points_unrecovered"] == 0
    assert body["balance"] == 0
    assert body["tier"] == "Member"
    assert body["duplicate"] is False
    card = await api.card(token)
    assert card["points"] == 0 and card["tier"]["name"] == "Member"
    again = await (await api.admin("POST", "/api/v1/admin/orders/HD-R/refund")).json()
    assert again["duplicate"] is True and again["balance"] == 0
    resp = await api.admin("POST", "/api/v1/admin/orders/NO-SUCH/refund")
    await problem(resp, 404, "order_not_found")


async def test_orders_by_phone_and_member_look_up(api: Api) -> None:
    resp = await api.order("HD-P", 250_000, phone="0912 345 678")
    assert resp.status == 201
    created = await resp.json()
    for key in ("0912345678", "84912345678", created["member_code"]):
        resp = await api.admin("GET", f"/api/v1/admin/members/{key}")
        assert resp.status == 200, key
        body = await resp.json()
        assert body["member_code"] == created["member_code"]
        assert body["phone"] == "84912345678"
        assert body["points"] == 25
        assert body["tier"] == {"name": "Member", "min_points": 0}
        assert body["vouchers"] == []
    resp = await api.admin("GET", "/api/v1/admin/members/0987654321")
    await problem(resp, 404, "member_not_found")


async def test_order_validation(api: Api) -> None:
    resp = await api.order("HD-V", -5, member_code="ABC")
    body = await problem(resp, 422, "validation_error")
    assert "amount" in {e["field"] for e in body["errors"]}
    resp = await api.admin("POST", "/api/v1/admin/orders", json={"order_id": "x", "amount": 10})
    await problem(resp, 422, "validation_error")
    resp = await api.order("HD-V", 100_000, member_code="ZZZZZZZZ")
    await problem(resp, 404, "member_not_found")


async def test_a_voucher_redeemed_twenty_times_at_once_succeeds_once(api: Api) -> None:
    token, code = await _member_code(api)
    voucher = (await (await api.order("HD-V1", 5_500_000, member_code=code)).json())["vouchers"][0]
    path = f"/api/v1/admin/vouchers/{voucher}/redeem"
    responses = await asyncio.gather(*(api.admin("POST", path) for _ in range(20)))
    ok = [r for r in responses if r.status == 200]
    assert len(ok) == 1
    body = await ok[0].json()
    assert body["member_code"] == code
    assert body["voucher"]["status"] == "used"
    for resp in responses:
        if resp.status != 200:
            refused = await problem(resp, 409, "voucher_already_redeemed")
            assert refused["redeemed_at"]
    mine = await (await api.me("GET", "/api/v1/me/vouchers", token)).json()
    assert [v["code"] for v in mine["used"]] == [voucher]
    assert mine["available"] == []


async def test_unknown_mistyped_and_expired_vouchers(api: Api) -> None:
    await problem(
        await api.admin("POST", f"/api/v1/admin/vouchers/{codes.generate()}/redeem"),
        404,
        "voucher_not_found",
    )
    code = codes.generate()
    typo = code[:-1] + ("A" if code[-1] != "A" else "B")
    await problem(
        await api.admin("POST", f"/api/v1/admin/vouchers/{typo}/redeem"),
        422,
        "invalid_voucher_code",
    )
    member = await members.get_or_create_by_identity("miniapp", "exp-1")
    old = await vouchers.issue(
        member,
        VoucherSpec(value=10_000, valid_days=1),
        source="manual",
        now=datetime.now(UTC) - timedelta(days=3),
    )
    resp = await api.admin("POST", f"/api/v1/admin/vouchers/{old.code}/redeem", json={"ref": "x"})
    body = await problem(resp, 409, "voucher_expired")
    assert body["expires_at"]


async def test_admin_key_wrong_or_missing(api: Api) -> None:
    resp = await api.client.get("/api/v1/admin/members/0912345678")
    await problem(resp, 401, "invalid_api_key")
    resp = await api.client.get(
        "/api/v1/admin/members/0912345678", headers={"X-Api-Key": ADMIN_KEY + "x"}
    )
    await problem(resp, 401, "invalid_api_key")


async def test_admin_api_disabled_without_a_key(start_api: Any) -> None:
    """One app per test: the runtime owns process-wide state (the ORM connection)."""
    off = await start_api(ADMIN_API_KEY="")
    for method, path in [
        ("POST", "/api/v1/admin/orders"),
        ("POST", "/api/v1/admin/orders/HD/refund"),
        ("GET", "/api/v1/admin/members/0912345678"),
        ("POST", "/api/v1/admin/vouchers/ABCDEFGH/redeem"),
    ]:
        resp = await off.client.request(method, path, headers={"X-Api-Key": ""})
        await problem(resp, 403, "admin_disabled")
