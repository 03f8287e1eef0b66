from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from loyalty import points
from loyalty.config import LoyaltyConfig
from loyalty.errors import InsufficientPoints, InvalidAmount
from loyalty.models import Member, PointsEntry
from tests.loyalty.conftest import new_member, vn

NOW = vn(2025, 3, 1, 10)


async def test_earn_redeem_and_ledger(db: str) -> None:
    member = await new_member()
    await points.earn(member, 100, reason="order", ref="order:1", now=NOW)
    await points.earn(member, 100, reason="order", ref="order:1", now=NOW)  # replay: no-op
    entry = await points.redeem(member, 30, reason="drink", now=NOW)
    assert (entry.amount, entry.balance_after, entry.earned_delta) == (-30, 70, 0)
    with pytest.raises(InsufficientPoints) as info:
        await points.redeem(member, 71)
    assert info.value.balance == 70 and info.value.code == "insufficient_points"
    with pytest.raises(InvalidAmount):
        await points.earn(member, 0)
    fresh = await Member.get(id=member.id)
    assert (fresh.points_balance, fresh.points_earned) == (70, 100)
    assert await points.ledger_sum(fresh) == 70
    history = await points.history(fresh)
    assert [e.kind for e in history] == ["redeem", "earn"]


async def test_concurrent_spends_never_overdraw(db: str) -> None:
    member = await new_member()
    await points.earn(member, 100)
    outcomes = await asyncio.gather(
        *(points.redeem(member, 15) for _ in range(20)), return_exceptions=True
    )
    ok = [o for o in outcomes if isinstance(o, PointsEntry)]
    assert len(ok) == 6
    assert all(isinstance(o, InsufficientPoints) for o in outcomes if o not in ok)
    fresh = await Member.get(id=member.id)
    assert fresh.points_balance == 10 == await points.ledger_sum(fresh)


async def test_adjust_and_expire_clamp(db: str) -> None:
    member = await new_member()
    await points.earn(member, 50)
    await points.adjust(member, 5, reason="goodwill")
    entry = await points.expire(member, 500, reason="test")
    assert entry is not None and entry.amount == -55
    assert await points.expire(member, 1) is None
    fresh = await Member.get(id=member.id)
    assert (fresh.points_balance, fresh.points_earned) == (0, 50)


async def test_expire_due_is_fifo(db: str) -> None:
    config = LoyaltyConfig(tiers=[{"name": "Member", "min_points": 0}], points_expire_days=365)
    member = await new_member()
    await points.earn(member, 100, now=NOW - timedelta(days=400))
    await points.redeem(member, 30, now=NOW - timedelta(days=100))
    await points.earn(member, 40, now=NOW - timedelta(days=10))
    (entry,) = await points.expire_due(config, NOW)
    assert entry.amount == -70  # the old 100 minus the 30 already spent from them
    assert await points.expire_due(config, NOW) == []
    assert (await Member.get(id=member.id)).points_balance == 40


async def test_earn_with_config_upgrades_the_tier(db: str, loyalty_config: LoyaltyConfig) -> None:
    member = await new_member()
    await points.earn(member, 499, config=loyalty_config, now=NOW)
    assert member.tier == "Member"
    await points.earn(member, 1, reason="check-in", config=loyalty_config, now=NOW)
    assert (await Member.get(id=member.id)).tier == member.tier == "Silver"
    await points.earn(member, 10, counts_for_tier=False, config=loyalty_config, now=NOW)
    assert (member.points_balance, member.points_earned) == (510, 500)
