"""RFM scores, AIPL stages and segments on a crafted shop where every member's expected
segments are written next to it; the refresh after an order; an order during a refresh."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from tortoise import connections

from loyalty import members, orders
from loyalty.config import LoyaltyConfig
from loyalty.models import Member, MemberRfm, SegmentInfo, SegmentMember
from loyalty.segments.builtin import RFM_TABLE, rfm_segment
from loyalty.segments.read import list_segments, members_page
from loyalty.segments.refresh import REFRESH_LOCK, refresh_all
from loyalty.segments.rules import SegmentDef, SegmentSpec
from loyalty.tags import add_tags
from tests.loyalty.conftest import vn

NOW = vn(2026, 12, 1, 12)
CUSTOM = [
    {
        "id": "regulars",
        "name": "Khách quen",
        "rule": {"min_orders": 3, "last_order_days": {"max": 60}},
    },
    {"id": "vip-phone", "name": "VIP", "rule": {"tags": {"any": ["VIP"]}, "has_phone": True}},
    {"id": "cold", "name": "Chưa quan tâm", "rule": {"tags": {"none": ["vip"]}, "stage": ["A"]}},
    {"id": "december", "name": "Sinh nhật", "rule": {"birthday_month": "current"}},
    {"id": "zalo", "name": "Zalo", "rule": {"channel": ["zalo"]}},
    {
        "id": "old-friends",
        "name": "Lâu năm",
        "rule": {"joined_days": {"min": 365}, "source": ["import"]},
    },
    {
        "id": "big",
        "name": "Chi nhiều",
        "rule": {"min_spend": 400000, "rfm": ["champions", "loyal"]},
    },
]
SPEC = SegmentSpec(
    window_days=365,
    first_tier="Member",
    custom=tuple(SegmentDef.model_validate(c) for c in CUSTOM),
)

# member: (days since each order, expected (r, f, m), RFM segment, stage, other segments)
# Six buyers with distinct values: ranks 0..5 give scores 1, 2, 3, 3, 4, 5 (n = 6).
SHOP = {
    "a": ([1, 30, 50, 70, 90], (5, 5, 5), "champions", "L", {"regulars", "big"}),
    "b": ([5], (4, 2, 2), "potential_loyalist", "P", {"vip-phone"}),
    "c": ([20, 100, 150], (3, 3, 3), "loyal", "L", {"regulars"}),
    "d": ([60, 61, 62, 63], (3, 4, 4), "loyal", "L", {"regulars", "big"}),
    "e": ([200, 250], (2, 3, 3), "at_risk", "P", set()),
    "f": ([400], (1, 1, 1), "lost", "P", {"old-friends"}),  # outside the window: F = M = 0
}


async def _build(config: LoyaltyConfig) -> dict[str, Member]:
    made: dict[str, Member] = {}
    for i, (key, (days, *_rest)) in enumerate(SHOP.items()):
        phone = f"09100000{i:02d}"
        for n, ago in enumerate(days):
            await orders.record_order(
                f"{key}-{n}",
                100_000,
                config=config,
                phone=phone,
                paid_at=NOW - timedelta(days=ago),
            )
        made[key] = await members.get_by_phone(phone)
    await Member.filter(id=made["f"].id).update(
        source="import", joined_at=NOW - timedelta(days=800)
    )
    await add_tags(made["b"], ["VIP"])
    # g: a phone, no order, a December birthday and the vip tag; h: a Zalo follower only;
    # i: a phone and one order, refunded.
    made["g"] = await members.get_or_create_by_phone("0910000099", source="import")
    await Member.filter(id=made["g"].id).update(birthday=date(1990, 12, 5))
    await add_tags(made["g"], ["vip"])
    made["h"] = await members.get_or_create_by_identity("zalo_oa", "follower-h")
    await orders.record_order("i-0", 100_000, config=config, phone="0910000098")
    await orders.refund_order("i-0", config=config)
    made["i"] = await members.get_by_phone("0910000098")
    return made


NO_ORDER = {  # member: (stage, segments besides all)
    "g": ("I", {"has_phone", "no_order_yet", "vip-phone", "december"}),
    "h": ("A", {"no_order_yet", "cold", "zalo"}),
    "i": ("I", {"has_phone", "no_order_yet"}),
}


async def _segments_of(member_id: int) -> set[str]:
    return set(
        await SegmentMember.filter(member_id=member_id).values_list("segment_id", flat=True)
    )


async def test_every_member_lands_where_the_table_says(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    made = await _build(loyalty_config)
    counts = await refresh_all(SPEC, now=NOW)
    for key, (_days, scores, segment, stage, extra) in SHOP.items():
        row = await MemberRfm.get(member_id=made[key].id)
        assert ((row.r, row.f, row.m), row.segment, row.stage) == (scores, segment, stage), key
        assert await _segments_of(made[key].id) == {"all", "has_phone", segment} | extra, key
    for key, (stage, extra) in NO_ORDER.items():
        row = await MemberRfm.get(member_id=made[key].id)
        assert (row.r, row.segment, row.stage) == (None, None, stage), key
        assert await _segments_of(made[key].id) == {"all"} | extra, key
    assert counts["all"] == 9 and counts["no_order_yet"] == 3 and counts["loyal"] == 2
    assert counts["regulars"] == 3 and counts["new_customers"] == 0
    listed = {s.id: s.members for s in await list_segments(SPEC)}
    assert listed == counts
    again = await refresh_all(SPEC, now=NOW)  # a refresh replaces, never adds up
    assert again == counts
    assert await SegmentMember.all().count() == sum(counts.values())


async def test_ties_share_a_score_and_different_values_spread(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    for i in range(4):  # four customers with the very same single order
        await orders.record_order(
            f"t{i}",
            200_000,
            config=loyalty_config,
            phone=f"09200000{i:02d}",
            paid_at=NOW - timedelta(days=3),
        )
    await orders.record_order(
        "t9", 900_000, config=loyalty_config, phone="0920000099", paid_at=NOW
    )
    await refresh_all(SPEC, now=NOW)
    rows = {r.member_id: (r.r, r.f, r.m) for r in await MemberRfm.all()}
    big = (await members.get_by_phone("0920000099")).id
    # everyone has one order: one middle F score for all; R and M spread the one who differs
    assert rows.pop(big) == (5, 3, 5)
    assert set(rows.values()) == {(3, 3, 3)}


async def test_the_member_is_refreshed_right_after_each_order(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    made = await _build(loyalty_config)
    await refresh_all(SPEC, now=NOW)
    before = {i.segment_id: i.members for i in await SegmentInfo.all()}
    await orders.record_order(
        "b-new", 100_000, config=loyalty_config, phone="0910000001", paid_at=NOW, segments=SPEC
    )
    row = await MemberRfm.get(member_id=made["b"].id)
    # placed on the cut points of the last full refresh: today beats a's last day (R5),
    # two orders reach e's F and M (3)
    assert (row.r, row.f, row.m, row.segment, row.orders_total) == (5, 3, 3, "loyal", 2)
    assert await _segments_of(made["b"].id) == {"all", "has_phone", "loyal", "vip-phone"}
    after = {i.segment_id: i.members for i in await SegmentInfo.all()}
    assert after["loyal"] == before["loyal"] + 1
    assert after["potential_loyalist"] == before["potential_loyalist"] - 1
    await orders.record_order(
        "h-first", 100_000, config=loyalty_config, member_code=made["h"].member_code, segments=SPEC
    )
    assert "no_order_yet" not in await _segments_of(made["h"].id)
    assert (await MemberRfm.get(member_id=made["h"].id)).stage == "P"
    await orders.refund_order("h-first", config=loyalty_config, segments=SPEC)
    assert "no_order_yet" in await _segments_of(made["h"].id)


async def test_member_pages_are_stable_and_complete(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    await _build(loyalty_config)
    await refresh_all(SPEC, now=NOW)
    seen: list[int] = []
    after = 0
    while page := await members_page("all", after=after, limit=4):
        seen += [r.member_id for r in page]
        after = page[-1].member_id
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 9


def test_the_rfm_table_covers_every_score() -> None:
    found = {rfm_segment(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert found == {row.id for row in RFM_TABLE}


async def test_an_order_during_a_full_refresh_is_not_lost(
    db: str, loyalty_config: LoyaltyConfig, is_postgres: bool, database_url: str
) -> None:
    """The full refresh is held after it ranked everybody and before it commits (a row lock
    another connection holds); an order for a member who had none arrives then."""
    if not is_postgres:
        pytest.skip("SQLite runs the refresh and the order one after the other (one writer)")
    import asyncpg

    made = await _build(loyalty_config)
    await refresh_all(SPEC, now=NOW)
    blocker = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        hold = blocker.transaction()
        await hold.start()
        await blocker.execute("SELECT 1 FROM segment_info LIMIT 1 FOR UPDATE")
        refresh = asyncio.create_task(refresh_all(SPEC))
        conn = connections.get("default")
        for _ in range(200):  # wait until the refresh holds its lock and waits on the row
            rows = await conn.execute_query_dict(
                "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'"
                f" AND objid = {REFRESH_LOCK} AND granted"
            )
            if rows[0]["n"]:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        await orders.record_order(
            "g-first", 100_000, config=loyalty_config, phone="0910000099", segments=SPEC
        )
        assert await conn.execute_query_dict("SELECT member_id FROM segment_dirty") == [
            {"member_id": made["g"].id}
        ]
        assert not refresh.done()
        await hold.commit()
        await asyncio.wait_for(refresh, 30)
    finally:
        await blocker.close()
    row = await MemberRfm.get(member_id=made["g"].id)
    assert row.orders_total == 1 and row.stage == "P"
    assert "no_order_yet" not in await _segments_of(made["g"].id)
    assert await conn.execute_query_dict("SELECT member_id FROM segment_dirty") == []


async def test_orders_racing_a_refresh_all_end_up_counted(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    made = await _build(loyalty_config)
    await refresh_all(SPEC, now=NOW)
    work = (
        [refresh_all(SPEC)]
        + [
            orders.record_order(
                f"race-{i}",
                100_000,
                config=loyalty_config,
                phone=f"09300000{i:02d}",
                segments=SPEC,
            )
            for i in range(6)
        ]
        + [refresh_all(SPEC)]
    )
    await asyncio.gather(*work)
    for i in range(6):
        member = await members.get_by_phone(f"09300000{i:02d}")
        row = await MemberRfm.get(member_id=member.id)
        assert row.orders_total == 1 and row.r is not None
        assert "no_order_yet" not in await _segments_of(member.id)
    assert made
