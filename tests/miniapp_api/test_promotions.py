"""Promotion routes over HTTP: the ledger of a played-out campaign, the chain, the exports,
and the reports (games, cohorts)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from tests.miniapp_api.conftest import Api, edit_content, game_of, problem


def _scratch(*, end: datetime | None = None, threshold: int | None = None) -> Any:
    """The scratch card: the free drink (3 units, 35,000 each) always drawn while it lasts,
    the 15K voucher (2 units) never; 5 plays a day."""

    def edit(data: dict[str, Any]) -> None:
        game = game_of(data, "scratch-card")
        game["plays_per_day"] = 5
        for prize in game["prizes"]:
            prize["weight"] = 1 if prize["id"] == "free-drink" else 0
            if prize["id"] == "free-drink":
                prize["stock"] = 3
            if prize["id"] == "v15k":
                prize["stock"] = 2
        if end is not None:
            game["end"] = end.isoformat()
        if threshold is not None:
            data["promotions"] = {"registration_threshold": threshold}

    return edit


async def played_out(start_api: Any, content_path: Path) -> tuple[Api, str, list[dict]]:
    edit_content(content_path, _scratch())
    api = await start_api()
    token, _ = await api.login("2001", "Nguyễn Thành")
    plays = []
    for i in range(5):
        resp = await api.me("POST", "/api/v1/games/scratch-card/plays", token,
                            headers={"Idempotency-Key": f"p{i}"})  # fmt: skip
        assert resp.status == 201, await resp.text()
        plays.append(await resp.json())
    assert [p["outcome"] for p in plays] == ["win"] * 3 + ["lose"] * 2
    return api, token, plays


async def test_the_ledger_of_a_played_out_campaign(start_api: Any, content_path: Path) -> None:
    api, _, _ = await played_out(start_api, content_path)
    resp = await api.admin("GET", "/api/v1/admin/promotions/scratch-card/ledger")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["prizes"] == [
        {"id": "free-drink", "label": "Một ly cà phê sữa đá", "unit_value": 35_000,
         "announced": 3, "awarded": 3, "unawarded": 0},
        {"id": "v15k", "label": "Voucher 15K", "unit_value": 15_000,
         "announced": 2, "awarded": 0, "unawarded": 2},
    ]  # fmt: skip
    assert (body["announced_value"], body["awarded_value"], body["unawarded_value"]) == (
        135_000, 105_000, 30_000,
    )  # fmt: skip
    assert body["state_budget_due"] is None and body["ended"] is False
    assert body["registration"] == {
        "threshold": 100_000_000, "announced_value": 135_000, "required": False, "warning": None,
    }  # fmt: skip

    # The campaign ends (and the shop lowers the threshold): half the unawarded value is due.
    edit_content(
        content_path,
        _scratch(end=datetime.now(UTC) - timedelta(minutes=1), threshold=100_000),
    )
    later = await start_api()
    body = await (await later.admin("GET", "/api/v1/admin/promotions/scratch-card/ledger")).json()
    assert body["ended"] is True and body["state_budget_due"] == 15_000
    assert body["registration"]["required"] is True
    assert "135.000 VND" in body["registration"]["warning"]


async def test_ledger_errors(api: Api) -> None:
    await problem(
        await api.client.get("/api/v1/admin/promotions/scratch-card/ledger"),
        401,
        "invalid_api_key",
    )
    await problem(
        await api.admin("GET", "/api/v1/admin/promotions/nope/ledger"), 404, "game_not_found"
    )
    await problem(
        await api.admin("GET", "/api/v1/admin/promotions/scratch-card/draws?format=pdf"),
        400,
        "invalid_query",
    )


async def test_chain_and_exports(start_api: Any, content_path: Path) -> None:
    api, _, plays = await played_out(start_api, content_path)
    chain = await (await api.admin("GET", "/api/v1/admin/promotions/scratch-card/chain")).json()
    assert chain["ok"] is True and chain["draws"] == 5 and chain["broken"] is None

    resp = await api.admin("GET", "/api/v1/admin/promotions/scratch-card/draws")
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert 'filename="scratch-card-draws.csv"' in resp.headers["Content-Disposition"]
    text = (await resp.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["seq"]) for r in rows] == [1, 2, 3, 4, 5]
    assert [int(r["play_id"]) for r in rows] == [p["play_id"] for p in plays]
    assert [r["prize_id"] for r in rows] == ["free-drink"] * 3 + ["none"] * 2
    assert rows[-1]["entry_hash"] == chain["head"]

    resp = await api.admin("GET", "/api/v1/admin/promotions/scratch-card/winners?format=xlsx")
    assert resp.status == 200
    sheet = load_workbook(io.BytesIO(await resp.read())).active
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0][:5] == ["award_id", "won_at", "prize_id", "prize_label", "unit_value"]
    assert [r[2] for r in table[1:]] == ["free-drink"] * 3
    assert {r[6] for r in table[1:]} == {"Nguyễn Thành"}  # the shop's own record: full name
    assert all(r[8] for r in table[1:])  # the voucher codes issued


async def test_the_games_report(start_api: Any, content_path: Path) -> None:
    api, token, plays = await played_out(start_api, content_path)
    code = (await api.card(token))["member_code"]
    voucher = plays[0]["voucher"]["code"]
    assert (await api.admin("POST", f"/api/v1/admin/vouchers/{voucher}/redeem")).status == 200
    before = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    assert (await api.order("HD-1", 120_000, member_code=code)).status == 201
    assert (await api.order("HD-0", 999_000, member_code=code, paid_at=before)).status == 201
    resp = await api.admin("GET", "/api/v1/admin/reports/games/scratch-card")
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert (body["plays"], body["players"], body["wins"]) == (5, 1, 3)
    assert body["prizes"] == [
        {"id": "free-drink", "label": "Một ly cà phê sữa đá", "wins": 3, "vouchers_redeemed": 1,
         "stock_left": 0},
        {"id": "v15k", "label": "Voucher 15K", "wins": 0, "vouchers_redeemed": 0,
         "stock_left": 2},
        {"id": "none", "label": "Chúc may mắn lần sau", "wins": 0, "vouchers_redeemed": 0,
         "stock_left": None},
    ]  # fmt: skip
    assert body["vouchers_redeemed"] == 1
    # Only the order after the first play counts (the one two days before does not).
    assert (body["buyers_after"], body["orders_after"], body["revenue_after"]) == (1, 1, 120_000)
    await problem(
        await api.admin("GET", "/api/v1/admin/reports/games/nope"), 404, "game_not_found"
    )


async def test_the_cohort_report_route(api: Api) -> None:
    token, _ = await api.login()
    code = (await api.card(token))["member_code"]
    assert (await api.order("HD-9", 50_000, member_code=code)).status == 201
    body = await (await api.admin("GET", "/api/v1/admin/reports/cohorts?by=joined")).json()
    month = datetime.now(UTC).astimezone().strftime("%Y-%m")
    assert body["by"] == "joined" and len(body["rows"]) == 1
    row = body["rows"][0]
    assert row["members"] == 1 and row["cohort"][:4] == month[:4]
    assert row["months"] == [{"offset": 0, "active": 1, "orders": 1, "revenue": 50_000}]
    await problem(
        await api.admin("GET", "/api/v1/admin/reports/cohorts?by=week"), 400, "invalid_query"
    )
    mine = await api.admin("GET", "/api/v1/admin/reports/cohorts?by=joined&source=miniapp")
    assert [r["members"] for r in (await mine.json())["rows"]] == [1]  # the Mini App's member
    other = await api.admin("GET", "/api/v1/admin/reports/cohorts?by=joined&source=import")
    assert (await other.json())["rows"] == []  # nobody came by an import


async def test_the_rfm_grid_route(api: Api) -> None:
    from loyalty.segments.refresh import refresh_all

    grid = await (await api.admin("GET", "/api/v1/admin/reports/rfm")).json()
    assert len(grid["cells"]) == 25 and all(c["members"] == 0 for c in grid["cells"])
    token, _ = await api.login()
    code = (await api.card(token))["member_code"]
    for n in range(2):
        assert (await api.order(f"HD-R{n}", 70_000, member_code=code)).status == 201
    from bot.content.loader import load_content

    await refresh_all(load_content(api.settings.CONTENT_PATH).segment_spec())
    grid = await (await api.admin("GET", "/api/v1/admin/reports/rfm")).json()
    full = [c for c in grid["cells"] if c["members"]]
    assert len(full) == 1 and full[0]["members"] == 1 and full[0]["revenue"] == 140_000
    assert grid["refreshed_at"] is not None


async def test_the_game_screens_link_to_the_public_page(api: Api) -> None:
    token, _ = await api.login()
    base = api.settings.PUBLIC_BASE_URL
    items = (await (await api.me("GET", "/api/v1/games", token)).json())["items"]
    assert {g["id"]: g["rules_url"] for g in items}["quiz"] == f"{base}/promotions/quiz"
    wheel = await (await api.me("GET", "/api/v1/games/lucky-wheel", token)).json()
    assert wheel["rules_url"] == f"{base}/promotions/lucky-wheel"


async def test_the_campaign_report_counts_orders_inside_each_window(api: Api) -> None:
    """Recipients sent a broadcast at a known time; paid orders 2 days after (counts), 9
    days after (outside 7, inside 14), before the send (no), and one refunded (no)."""
    from bot.models import Broadcast, BroadcastRecipient
    from loyalty.models import Member

    codes = []
    for n in range(4):
        token, _ = await api.login(f"z-camp-{n}")
        codes.append((await api.card(token))["member_code"])
    members = {m.member_code: m.id for m in await Member.filter(member_code__in=codes)}
    sent_at = datetime.now(UTC) - timedelta(days=20)
    one = await Broadcast.create(name="Tết", segment="all", purpose="promotion", message={})
    other = await Broadcast.create(name="Rỗng", segment="all", purpose="update", message={})
    for n, code in enumerate(codes):
        await BroadcastRecipient.create(
            broadcast_id=one.id,
            member_id=members[code],
            status="sent" if n < 3 else "skipped",
            sent_at=sent_at if n < 3 else None,
        )

    async def order(order_id: str, code: str, amount: int, after_days: float) -> None:
        paid = (sent_at + timedelta(days=after_days)).isoformat()
        body = {"member_code": code, "paid_at": paid}
        assert (await api.order(order_id, amount, **body)).status == 201

    await order("C-1", codes[0], 100_000, 2)
    await order("C-2", codes[0], 50_000, 3)  # the same person again: still one conversion
    await order("C-3", codes[1], 70_000, 9)
    await order("C-4", codes[2], 90_000, -1)  # before the send
    await order("C-5", codes[2], 30_000, 1)
    refund = await api.admin("POST", "/api/v1/admin/orders/C-5/refund", json={})
    assert refund.status == 200, await refund.text()
    await order("C-6", codes[3], 40_000, 1)  # skipped, not sent: not a recipient

    async def report(days: int) -> dict[str, Any]:
        resp = await api.admin("GET", f"/api/v1/admin/reports/campaigns?days={days}")
        assert resp.status == 200, await resp.text()
        return await resp.json()

    week = await report(7)
    assert week["days"] == 7
    assert [b["id"] for b in week["broadcasts"]] == [other.id, one.id]  # newest first
    empty, tet = week["broadcasts"]
    assert (empty["sent"], empty["converted"], empty["conversion_rate"]) == (0, 0, None)
    assert (tet["sent"], tet["converted"], tet["revenue"]) == (3, 1, 150_000)
    assert tet["conversion_rate"] == round(1 / 3, 4)
    fortnight = (await report(14))["broadcasts"][1]
    assert (fortnight["converted"], fortnight["revenue"]) == (2, 220_000)
    await problem(
        await api.admin("GET", "/api/v1/admin/reports/campaigns?days=0"), 400, "invalid_query"
    )


async def test_the_campaign_report_shows_each_journeys_uplift(api: Api) -> None:
    """Two entries got the steps (one bought), two were held out (none bought): uplift 0.5."""
    from bot.content.loader import load_content
    from bot.journeys.models import JourneyEnrolment
    from loyalty.models import Member

    journey = load_content(api.settings.CONTENT_PATH).journeys[0]
    now = datetime.now(UTC)
    codes = []
    for n in range(4):
        token, _ = await api.login(f"z-jr-{n}")
        codes.append((await api.card(token))["member_code"])
    ids = {m.member_code: m.id for m in await Member.filter(member_code__in=codes)}
    for n, code in enumerate(codes):
        await JourneyEnrolment.create(
            journey_id=journey.id,
            member_id=ids[code],
            state="completed" if n < 2 else "holdout",
            entered_at=now - timedelta(days=3),
            convert_until=now + timedelta(days=4),
        )
    paid = (now - timedelta(days=1)).isoformat()
    assert (await api.order("J-1", 80_000, member_code=codes[0], paid_at=paid)).status == 201
    body = await (await api.admin("GET", "/api/v1/admin/reports/campaigns")).json()
    mine = next(j for j in body["journeys"] if j["id"] == journey.id)
    assert (mine["enrolled"], mine["converted"], mine["revenue"]) == (2, 1, 80_000)
    assert mine["holdout"] == {"members": 2, "converted": 0, "revenue": 0, "conversion_rate": 0.0}
    assert (mine["conversion_rate"], mine["uplift"]) == (0.5, 0.5)
    others = [j for j in body["journeys"] if j["id"] != journey.id]
    assert all(j["enrolled"] == 0 and j["uplift"] is None for j in others)
