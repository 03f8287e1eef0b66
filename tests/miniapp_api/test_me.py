"""The member's vouchers, points ledger pages, and phone linking through Zalo Graph."""

from __future__ import annotations

from tests.miniapp_api.conftest import Api, problem


async def test_points_ledger_pages_newest_first(api: Api) -> None:
    token, _ = await api.login()
    code = (await api.card(token))["member_code"]
    for i in range(5):
        await api.order(f"P-{i}", (i + 1) * 10_000, member_code=code)
    resp = await api.me("GET", "/api/v1/me/points", token, params={"limit": "2"})
    assert resp.status == 200
    page1 = await resp.json()
    assert [e["amount"] for e in page1["items"]] == [5, 4]
    assert page1["next_page"] == 2 and page1["balance"] == 15
    assert page1["items"][0]["kind"] == "earn" and page1["items"][0]["ref"] == "order:P-4"
    assert page1["items"][0]["balance_after"] == 15
    page3 = await (
        await api.me("GET", "/api/v1/me/points", token, params={"limit": "2", "page": "3"})
    ).json()
    assert [e["amount"] for e in page3["items"]] == [1]
    assert page3["next_page"] is None
    everything = await (await api.me("GET", "/api/v1/me/points", token)).json()
    assert len(everything["items"]) == 5 and everything["limit"] == 20

    for bad in ({"limit": "0"}, {"limit": "101"}, {"page": "0"}, {"limit": "many"}):
        resp = await api.me("GET", "/api/v1/me/points", token, params=bad)
        body = await problem(resp, 400, "invalid_query")
        assert body["errors"][0]["field"] in bad


async def test_vouchers_grouped_by_status(api: Api) -> None:
    token, _ = await api.login()
    code = (await api.card(token))["member_code"]
    issued = (await (await api.order("V-1", 11_000_000, member_code=code)).json())["vouchers"]
    assert len(issued) == 2
    await api.admin("POST", f"/api/v1/admin/vouchers/{issued[0]}/redeem")
    resp = await api.me("GET", "/api/v1/me/vouchers", token)
    assert resp.status == 200
    body = await resp.json()
    assert [v["code"] for v in body["available"]] == [issued[1]]
    assert [v["code"] for v in body["used"]] == [issued[0]]
    assert body["expired"] == []
    used = body["used"][0]
    assert used["redeemed_at"] and used["status"] == "used"
    assert {"code", "title", "value", "kind", "expires_at", "redeemed_at"} <= set(used)
    assert body["available"][0]["title"] == "Quà lên hạng Gold"
    assert body["available"][0]["value"] == 50_000


async def test_linking_a_phone_issues_the_reward_once(api: Api) -> None:
    token, zalo_token = await api.login("3001", "Hoa")
    code = api.zalo.phone_token(zalo_token, "84912000111")
    resp = await api.me("POST", "/api/v1/me/phone", token, json={"token": code})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["phone"] == "84912000111"
    assert body["member"]["phone"] == "84912000111"
    assert body["voucher_issued"] is True
    voucher = body["voucher"]
    assert voucher["value"] == 20_000 and voucher["title"] == "Quà chào mừng 20K"
    info = [r for r in api.zalo.requests if r.path == "/v2.0/me/info"][-1]
    assert info.headers["access_token"] == zalo_token
    assert info.headers["code"] == code
    assert info.headers["secret_key"] == api.zalo.app_secret

    # The same token again: Zalo says it is used, and the API says so clearly.
    resp = await api.me("POST", "/api/v1/me/phone", token, json={"token": code})
    await problem(resp, 400, "phone_token_invalid")

    # A fresh token for the same number: linked again, no second reward.
    again = api.zalo.phone_token(zalo_token, "84912000111")
    resp = await api.me("POST", "/api/v1/me/phone", token, json={"token": again})
    body = await resp.json()
    assert body["voucher_issued"] is False
    assert body["voucher"]["code"] == voucher["code"]
    card = await api.card(token)
    assert card["phone"] == "84912000111"
    assert card["vouchers_available"] == 1


async def test_a_phone_known_to_the_shop_merges_into_one_member(api: Api) -> None:
    pos = await (await api.order("SHOP-1", 6_000_000, phone="0912000222")).json()
    token, zalo_token = await api.login("3002", "Minh")
    code = api.zalo.phone_token(zalo_token, "84912000222")
    resp = await api.me("POST", "/api/v1/me/phone", token, json={"token": code})
    assert resp.status == 200
    body = await resp.json()
    # The POS member is older, so it survives; the Mini App session now sees its points.
    assert body["member"]["member_code"] == pos["member_code"]
    card = await api.card(token)
    assert card["member_code"] == pos["member_code"]
    assert card["points"] == 600 and card["tier"]["name"] == "Silver"


async def test_phone_token_with_an_explicit_access_token(api: Api) -> None:
    token, _ = await api.login("3003", "Tú")
    fresh = api.zalo.miniapp_login("3003", "Tú")  # the Mini App got a new Zalo token
    code = api.zalo.phone_token(fresh, "84912000333")
    body = {"token": code, "access_token": fresh}
    resp = await api.me("POST", "/api/v1/me/phone", token, json=body)
    assert resp.status == 200
    assert (await resp.json())["phone"] == "84912000333"

    # Someone else's Zalo token cannot link a number to this member.
    stranger = api.zalo.miniapp_login("9999", "Lạ")
    code = api.zalo.phone_token(stranger, "84912000444")
    resp = await api.me(
        "POST", "/api/v1/me/phone", token, json={"token": code, "access_token": stranger}
    )
    await problem(resp, 401, "invalid_zalo_token")
    assert (await api.card(token))["phone"] == "84912000333"


async def test_phone_needs_a_session(api: Api) -> None:
    resp = await api.client.post("/api/v1/me/phone", json={"token": "x"})
    await problem(resp, 401, "missing_session")
