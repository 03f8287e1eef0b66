from __future__ import annotations

import asyncio

import pytest

from loyalty import orders, points
from loyalty.config import LoyaltyConfig
from loyalty.errors import InvalidAmount, InvalidInput, MemberNotFound, OrderNotFound
from loyalty.models import Member, Order, PointsEntry, Voucher
from tests.loyalty.conftest import new_member, vn

NOW = vn(2025, 3, 1, 10)


async def test_order_gives_points_and_silver_with_its_reward_once(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    member = await new_member()
    result = await orders.record_order(
        "POS-1", 5_500_000, member_code=member.member_code, config=loyalty_config, now=NOW
    )
    assert (result.points, result.balance, result.tier) == (550, 550, "Silver")
    assert result.upgraded_from == "Member" and len(result.vouchers) == 1
    reward = await Voucher.get(code=result.vouchers[0])
    assert (reward.source, reward.value, reward.title) == ("tier_reward", 50_000, "Silver gift")
    more = await orders.record_order(
        "POS-2", 100_000, member_code=member.member_code, config=loyalty_config, now=NOW
    )
    assert (more.points, more.tier, more.vouchers) == (10, "Silver", [])
    assert await Voucher.filter(source="tier_reward").count() == 1


async def test_same_order_20_times_concurrently_counts_once(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    member = await new_member()
    results = await asyncio.gather(
        *(
            orders.record_order(
                "POS-7", 1_234_567, member_code=member.member_code, config=loyalty_config, now=NOW
            )
            for _ in range(20)
        )
    )
    assert sum(not r.duplicate for r in results) == 1
    first = next(r for r in results if not r.duplicate)
    for r in results:
        assert (r.points, r.balance, r.tier, r.vouchers) == (
            first.points,
            first.balance,
            first.tier,
            first.vouchers,
        )
    fresh = await Member.get(id=member.id)
    assert fresh.points_balance == 123
    assert await PointsEntry.filter(kind="earn").count() == 1
    assert await Order.all().count() == 1


async def test_order_by_phone_creates_or_finds_the_member(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    a = await orders.record_order("A", 200_000, phone="0912 345 678", config=loyalty_config)
    b = await orders.record_order("B", 300_000, phone="+84912345678", config=loyalty_config)
    assert a.member_code == b.member_code and b.balance == 50
    assert (await Member.get(member_code=a.member_code)).phone == "84912345678"


async def test_bad_orders(db: str, loyalty_config: LoyaltyConfig) -> None:
    with pytest.raises(InvalidAmount):
        await orders.record_order("X", -5, phone="0912345678", config=loyalty_config)
    with pytest.raises(InvalidInput):
        await orders.record_order("X", 5, config=loyalty_config)
    with pytest.raises(MemberNotFound):
        await orders.record_order("X", 5, member_code="ABCDEFGH", config=loyalty_config)
    with pytest.raises(OrderNotFound):
        await orders.refund_order("nope")


async def test_refund_reverses_points_clamped_at_zero(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    member = await new_member()
    await orders.record_order(
        "R-1", 5_500_000, member_code=member.member_code, config=loyalty_config, now=NOW
    )
    refund = await orders.refund_order("R-1", config=loyalty_config, now=NOW)
    assert (refund.points_reversed, refund.points_unrecovered, refund.balance) == (550, 0, 0)
    assert refund.tier == "Member"  # points earned fell back to 0
    again = await orders.refund_order("R-1", config=loyalty_config, now=NOW)
    assert again.duplicate and again.points_reversed == 550
    assert (await Order.get(order_id="R-1")).status == "refunded"

    await orders.record_order(
        "R-2", 600_000, member_code=member.member_code, config=loyalty_config, now=NOW
    )
    await points.redeem(member, 40, reason="a cake")
    partial = await orders.refund_order("R-2", config=loyalty_config, now=NOW)
    assert (partial.points_reversed, partial.points_unrecovered, partial.balance) == (20, 40, 0)
    fresh = await Member.get(id=member.id)
    assert (fresh.points_balance, fresh.points_earned) == (0, 0)
    assert await points.ledger_sum(fresh) == 0
    # Re-earning Silver later does not issue its reward a second time.
    await orders.record_order(
        "R-3", 5_000_000, member_code=member.member_code, config=loyalty_config, now=NOW
    )
    assert await Voucher.filter(source="tier_reward").count() == 1


async def test_concurrent_orders_of_a_new_phone_make_one_member(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    results = await asyncio.gather(
        *(
            orders.record_order(f"P-{i}", 100_000, phone="0987 654 321", config=loyalty_config)
            for i in range(10)
        )
    )
    assert len({r.member_code for r in results}) == 1
    assert await Member.all().count() == 1
    assert (await Member.get()).points_balance == 100
