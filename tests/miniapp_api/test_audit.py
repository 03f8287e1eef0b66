"""The audit log of admin writes, its owner-only route, and the wrong-key limit."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise import connections

from loyalty.models import AuditEntry
from miniapp_api.auth import key_fingerprint
from tests.miniapp_api.conftest import ADMIN_KEY, Api, problem
from tests.miniapp_api.test_privacy import MANAGER_KEY, ROLE_KEYS, STAFF_KEY, as_key

OWNER = key_fingerprint(ADMIN_KEY)


async def entries(**filters: Any) -> list[tuple[str, str, str, int]]:
    rows = await AuditEntry.filter(**filters).order_by("id")
    return [(r.actor_id, r.action, r.target, r.status) for r in rows]


async def test_every_admin_write_is_recorded_with_who_what_and_target(api: Api) -> None:
    token, _ = await api.login("6001")
    code = (await api.card(token))["member_code"]
    assert (await api.order("HD-A1", 5_500_000, member_code=code)).status == 201
    assert (await api.order("HD-A1", 5_500_000, member_code=code)).status == 200
    voucher = (await (await api.me("GET", "/api/v1/me/vouchers", token)).json())["available"][0]
    redeem = f"/api/v1/admin/vouchers/{voucher['code']}/redeem"
    assert (await api.admin("POST", redeem)).status == 200
    assert (await api.admin("POST", redeem)).status == 409  # refused writes are kept too
    assert (await api.admin("POST", "/api/v1/admin/orders/HD-A1/refund")).status == 200
    assert (await api.admin("POST", "/api/v1/admin/orders/nope/refund")).status == 404
    await api.admin("GET", f"/api/v1/admin/members/{code}")  # a read: not a write
    await api.admin("GET", "/api/v1/admin/members/0912999888")  # a phone in a read

    assert await entries() == [
        (OWNER, "POST /v1/admin/orders", "order=HD-A1", 201),
        (OWNER, "POST /v1/admin/orders", "order=HD-A1", 200),
        (OWNER, "POST /v1/admin/vouchers/{code}/redeem", f"code={voucher['code']}", 200),
        (OWNER, "POST /v1/admin/vouchers/{code}/redeem", f"code={voucher['code']}", 409),
        (OWNER, "POST /v1/admin/orders/{order_id}/refund", "order_id=HD-A1", 200),
        (OWNER, "POST /v1/admin/orders/{order_id}/refund", "order_id=nope", 404),
    ]
    row = await AuditEntry.first()
    assert row is not None and row.actor_kind == "api_key" and row.actor_role == "owner"
    assert ADMIN_KEY not in str(await AuditEntry.all().values())

    # A write without a valid key is refused before anything, and records nobody.
    resp = await api.client.post("/api/v1/admin/orders", json={"order_id": "x", "amount": 1})
    await problem(resp, 401, "invalid_api_key")
    assert await AuditEntry.all().count() == 6


async def test_phones_in_paths_are_masked_in_the_log(api: Api) -> None:
    resp = await api.admin("DELETE", "/api/v1/admin/members/0912999777")
    await problem(resp, 404, "member_not_found")
    assert await entries() == [(OWNER, "DELETE /v1/admin/members/{key}", "key=0912***777", 404)]


async def test_the_log_is_for_the_owner_and_filterable(start_api: Any) -> None:
    api = await start_api(ADMIN_API_KEYS=ROLE_KEYS)
    for n in range(3):
        order = {"order_id": f"S-{n}", "amount": 10_000, "phone": "0912000100"}
        await as_key(api, STAFF_KEY, "POST", "/api/v1/admin/orders", json=order)
    await as_key(api, MANAGER_KEY, "POST", "/api/v1/admin/orders/S-0/refund")

    for key in (STAFF_KEY, MANAGER_KEY):
        resp = await as_key(api, key, "GET", "/api/v1/admin/audit")
        await problem(resp, 403, "forbidden_role")

    resp = await api.admin("GET", "/api/v1/admin/audit")
    assert resp.status == 200
    items = (await resp.json())["items"]
    assert [i["target"] for i in items] == [
        "order_id=S-0", "order=S-2", "order=S-1", "order=S-0"
    ]  # newest first  # fmt: skip
    assert {i["actor_role"] for i in items} == {"staff", "manager"}

    resp = await api.admin(
        "GET", "/api/v1/admin/audit", params={"actor": key_fingerprint(STAFF_KEY), "limit": 2}
    )
    page = await resp.json()
    assert [i["target"] for i in page["items"]] == ["order=S-2", "order=S-1"]
    resp = await api.admin(
        "GET",
        "/api/v1/admin/audit",
        params={"actor": key_fingerprint(STAFF_KEY), "limit": 2, "before": page["next_cursor"]},
    )
    last = await resp.json()
    assert [i["target"] for i in last["items"]] == ["order=S-0"] and last["next_cursor"] is None

    resp = await api.admin(
        "GET", "/api/v1/admin/audit", params={"action": "POST /v1/admin/orders/"}
    )
    assert [i["target"] for i in (await resp.json())["items"]] == ["order_id=S-0"]
    resp = await api.admin("GET", "/api/v1/admin/audit", params={"target": "order=S-1"})
    assert len((await resp.json())["items"]) == 1
    since = items[0]["at"]
    resp = await api.admin("GET", "/api/v1/admin/audit", params={"since": since})
    assert [i["target"] for i in (await resp.json())["items"]] == ["order_id=S-0"]
    resp = await api.admin("GET", "/api/v1/admin/audit", params={"limit": "lots"})
    await problem(resp, 400, "invalid_query")


async def test_entries_cannot_be_changed(db: str) -> None:
    from miniapp_api.audit import record
    from miniapp_api.auth import Actor

    entry = await record(Actor("user", "owner@shop.vn", "owner"), "POST /v1/admin/x", status=200)
    with pytest.raises(RuntimeError):
        await entry.save()
    with pytest.raises(RuntimeError):
        await entry.delete()
    conn = connections.get("default")
    with pytest.raises(Exception, match="append-only"):
        await conn.execute_query("UPDATE audit_entry SET status = 500")
    with pytest.raises(Exception, match="append-only"):
        await conn.execute_query("DELETE FROM audit_entry")
    assert (await AuditEntry.get(id=entry.id)).status == 200


async def test_wrong_keys_are_limited_per_address(start_api: Any) -> None:
    api = await start_api(ADMIN_AUTH_FAILURES_PER_MINUTE=3)
    for _ in range(3):
        resp = await as_key(api, "guess-" + "x" * 20, "GET", "/api/v1/admin/members/AAAA")
        await problem(resp, 401, "invalid_api_key")
    resp = await as_key(api, "guess", "GET", "/api/v1/admin/members/AAAA")
    body = await problem(resp, 429, "too_many_failures")
    assert int(resp.headers["Retry-After"]) >= 1 and body["retry_after"] >= 1
    # Blocked before any comparison: even the right key waits out the minute.
    resp = await api.admin("GET", "/api/v1/admin/members/AAAA")
    await problem(resp, 429, "too_many_failures")
    # The Mini App API is not affected.
    token, _ = await api.login("6101")
    assert (await api.me("GET", "/api/v1/me/card", token)).status == 200
