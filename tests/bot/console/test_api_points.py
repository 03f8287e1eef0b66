"""`POST /api/v1/admin/members/{key}/points`: the API behind the console's adjustment,
taken by an API key or a console session alike, manager and up, audited."""

from __future__ import annotations

from loyalty.models import AuditEntry, Member, PointsEntry
from tests.bot.console.conftest import ADMIN_KEY, Console

PHONE = "0912345678"
KEY = {"X-Api-Key": ADMIN_KEY}


async def _member(console: Console) -> str:
    resp = await console.client.post(
        "/api/v1/admin/orders",
        json={"order_id": "POS-1", "amount": 150_000, "phone": PHONE},
        headers=KEY,
    )
    assert resp.status == 201
    return str((await resp.json())["member_code"])


async def test_adjust_by_key_and_by_session(console: Console) -> None:
    code = await _member(console)
    path = f"/api/v1/admin/members/{code}/points"
    resp = await console.client.post(path, json={"amount": 40, "reason": "bù lỗi"}, headers=KEY)
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {
        "member_code": code, "amount": 40, "balance_before": 15, "balance": 55
    }  # fmt: skip
    entry = await AuditEntry.get(action="POST /v1/admin/members/{key}/points")
    assert entry.target == f"member={code}"
    assert entry.detail == {"amount": 40, "before": 15, "after": 55}
    too_much = await console.client.post(path, json={"amount": -1000, "reason": "x"}, headers=KEY)
    assert too_much.status == 409 and (await too_much.json())["code"] == "insufficient_points"
    for bad in ({"amount": 0, "reason": "x"}, {"amount": 5}, {"amount": 5, "reason": ""}):
        refused = await console.client.post(path, json=bad, headers=KEY)
        assert refused.status == 422, bad
    unknown = await console.client.post(
        "/api/v1/admin/members/0987654321/points", json={"amount": 5, "reason": "x"}, headers=KEY
    )
    assert unknown.status == 404
    # A staff session may not; a manager session may (with its CSRF header).
    await console.as_role("staff")
    staff = await console.api("POST", path, json={"amount": 5, "reason": "x"})
    assert staff.status == 403 and (await staff.json())["code"] == "forbidden_role"
    await console.as_role("manager")
    by_phone = f"/api/v1/admin/members/{PHONE}/points"
    manager = await console.api("POST", by_phone, json={"amount": -5, "reason": "đổi quà"})
    assert manager.status == 200 and (await manager.json())["balance"] == 50
    assert (await Member.get(member_code=code)).points_balance == 50
    assert await PointsEntry.filter(kind="adjust").count() == 2
