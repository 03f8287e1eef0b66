"""Admin segment routes, tags and the extended member look-up, over real HTTP."""

from __future__ import annotations

import csv
import io

from bot.content.loader import load_content
from loyalty.segments.refresh import refresh_all
from tests.miniapp_api.conftest import Api, problem


async def _refresh(api: Api) -> None:
    """What the scheduled job does (the app's database connection is already open)."""
    await refresh_all(load_content(api.settings.CONTENT_PATH).segment_spec())


async def test_look_up_shows_rfm_tags_source_and_stage(api: Api) -> None:
    token, _ = await api.login("2001", "Lan")
    card = await api.card(token)
    resp = await api.admin("GET", f"/api/v1/admin/members/{card['member_code']}")
    body = await resp.json()
    assert body["source"] == "miniapp" and body["stage"] == "A" and body["tags"] == []
    assert body["rfm"] == {"r": None, "f": None, "m": None, "segment": None}

    resp = await api.order("P1", 250_000, phone="0912345678")
    assert resp.status == 201
    resp = await api.admin("GET", "/api/v1/admin/members/0912345678")
    body = await resp.json()
    assert body["source"] == "pos" and body["stage"] == "P" and body["orders"] == 1
    assert body["rfm"]["segment"] is not None  # refreshed right after the order
    assert body["spend"] == 250_000


async def test_look_up_by_a_merged_members_old_code_shows_the_survivor(api: Api) -> None:
    pos = await (await api.order("SHOP-1", 6_000_000, phone="0912000222")).json()
    token, zalo_token = await api.login("3002", "Minh")
    old_code = (await api.card(token))["member_code"]
    code = api.zalo.phone_token(zalo_token, "84912000222")
    assert (await api.me("POST", "/api/v1/me/phone", token, json={"token": code})).status == 200
    resp = await api.admin("GET", f"/api/v1/admin/members/{old_code.lower()}")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["member_code"] == pos["member_code"] != old_code
    assert body["points"] == 600 and body["tier"]["name"] == "Silver"
    assert body["phone"] == "84912000222" and body["orders"] == 1
    by_phone = await (await api.admin("GET", "/api/v1/admin/members/+84 912 000 222")).json()
    assert by_phone == body
    await problem(
        await api.admin("GET", "/api/v1/admin/members/0999999999"), 404, "member_not_found"
    )
    await problem(
        await api.admin("GET", "/api/v1/admin/members/ZZZZZZZZ"), 404, "member_not_found"
    )


async def test_tags_are_added_and_removed(api: Api) -> None:
    await api.order("P1", 100_000, phone="0912345678")
    url = "/api/v1/admin/members/0912345678/tags"
    resp = await api.admin("POST", url, json={"tags": ["VIP", " Khách  Sỉ ", "vip"]})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["tags"] == ["khách sỉ", "vip"]
    resp = await api.admin("DELETE", url, json={"tags": ["vip", "absent"]})
    assert (await resp.json())["tags"] == ["khách sỉ"]
    resp = await api.admin("GET", "/api/v1/admin/members/0912345678")
    assert (await resp.json())["tags"] == ["khách sỉ"]
    await problem(await api.admin("POST", url, json={"tags": []}), 422, "validation_error")
    await problem(await api.admin("POST", url, json={"tags": ["x" * 65]}), 422, "validation_error")
    missing = "/api/v1/admin/members/0999999999/tags"
    await problem(await api.admin("POST", missing, json={"tags": ["a"]}), 404, "member_not_found")
    await problem(await api.client.post(url, json={"tags": ["a"]}), 401, "invalid_api_key")


async def test_segment_list_pages_and_csv(api: Api) -> None:
    for i in range(5):
        assert (
            await api.order(f"S{i}", 100_000 * (i + 1), phone=f"09123456{i:02d}")
        ).status == 201
    await api.login("2002", "Follower")
    await _refresh(api)
    resp = await api.admin("GET", "/api/v1/admin/segments")
    items = {i["id"]: i for i in (await resp.json())["items"]}
    assert items["all"]["members"] == 6 and items["has_phone"]["members"] == 5
    assert items["no_order_yet"]["members"] == 1 and items["all"]["refreshed_at"]
    assert "regulars" in items and items["champions"]["name"] == "Khách hàng tốt nhất"

    seen: list[str] = []
    cursor = None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        resp = await api.admin("GET", f"/api/v1/admin/segments/has_phone/members{query}")
        assert resp.status == 200, await resp.text()
        page = await resp.json()
        seen += [m["phone"] for m in page["items"]]
        assert all(m["rfm"]["r"] in range(1, 6) and m["tier"] for m in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"849123456{i:02d}" for i in range(5)] and len(set(seen)) == 5

    resp = await api.admin("GET", "/api/v1/admin/segments/has_phone/members.csv")
    assert resp.status == 200 and resp.content_type == "text/csv"
    text = (await resp.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["phone"] for r in rows) == sorted(seen)
    assert set(rows[0]) == {"member_code", "name", "phone", "tier", "r", "f", "m", "segment"}

    await problem(
        await api.admin("GET", "/api/v1/admin/segments/nope/members"), 404, "segment_not_found"
    )
    await problem(
        await api.admin("GET", "/api/v1/admin/segments/nope/members.csv"), 404, "segment_not_found"
    )
    bad = "/api/v1/admin/segments/all/members?cursor=abc"
    await problem(await api.admin("GET", bad), 400, "invalid_query")
