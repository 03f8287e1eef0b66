from __future__ import annotations

from datetime import timedelta

from loyalty import orders, tiers
from loyalty.config import LoyaltyConfig
from loyalty.models import Member, Voucher
from tests.loyalty.conftest import new_member, vn

NOW = vn(2025, 6, 15, 10)


def with_policy(config: LoyaltyConfig, **policy: str) -> LoyaltyConfig:
    return LoyaltyConfig.model_validate({**config.model_dump(), "tier_policy": policy})


async def _order(member: Member, order_id: str, amount: int, config: LoyaltyConfig, now) -> None:
    await orders.record_order(
        order_id, amount, member_code=member.member_code, config=config, now=now
    )


async def test_upgrade_skips_tiers_and_issues_each_reward(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    member = await new_member()
    result = await orders.record_order(
        "big", 12_000_000, member_code=member.member_code, config=loyalty_config, now=NOW
    )
    assert result.tier == "Gold" and len(result.vouchers) == 2
    titles = set(await Voucher.filter(source="tier_reward").values_list("title", flat=True))
    assert titles == {"Silver gift", "Gold"}
    progress = tiers.progress(await Member.get(id=member.id), loyalty_config)
    assert (progress.tier.name, progress.next_tier.name, progress.points_to_next) == (  # type: ignore[union-attr]
        "Gold",
        "Platinum",
        800,
    )


async def test_policy_none_never_downgrades(db: str, loyalty_config: LoyaltyConfig) -> None:
    member = await new_member()
    await _order(member, "o", 6_000_000, loyalty_config, NOW - timedelta(days=800))
    assert await tiers.reevaluate(loyalty_config, NOW) == []
    assert (await Member.get(id=member.id)).tier == "Silver"


async def test_rolling_12_months(db: str, loyalty_config: LoyaltyConfig) -> None:
    config = with_policy(loyalty_config, mode="rolling_12_months")
    old = await new_member("old")
    recent = await new_member("recent")
    await new_member("idle")  # no points, no tier set yet: not a change
    await _order(old, "o1", 6_000_000, config, NOW - timedelta(days=400))
    await _order(recent, "o2", 6_000_000, config, NOW - timedelta(days=100))
    dry = await tiers.reevaluate(config, NOW, dry_run=True)
    assert [(c.member_code, c.old_tier, c.new_tier, c.direction) for c in dry] == [
        (old.member_code, "Silver", "Member", "down")
    ]
    assert "Silver -> Member" in str(dry[0])
    assert (await Member.get(id=old.id)).tier == "Silver"  # dry run wrote nothing
    done = await tiers.reevaluate(config, NOW)
    assert [c.new_tier for c in done] == ["Member"]
    assert (await Member.get(id=old.id)).tier == "Member"
    assert (await Member.get(id=recent.id)).tier == "Silver"
    assert await tiers.reevaluate(config, NOW) == []
    # Earning back to Silver upgrades at once, without a second Silver reward.
    await _order(old, "o3", 5_000_000, config, NOW)
    assert (await Member.get(id=old.id)).tier == "Silver"
    assert await Voucher.filter(member_id=old.id, source="tier_reward").count() == 1


async def test_yearly_on_a_date(db: str, loyalty_config: LoyaltyConfig) -> None:
    config = with_policy(loyalty_config, mode="yearly", date="01-01")
    before = await new_member("before")
    after = await new_member("after")
    await _order(before, "b", 6_000_000, config, vn(2023, 12, 20))  # before 2024-01-01
    await _order(after, "a", 6_000_000, config, vn(2024, 1, 2))
    changes = await tiers.reevaluate(config, vn(2025, 1, 1, 0, 30))
    assert [c.member_code for c in changes] == [before.member_code]
    # Between two re-evaluation dates nothing more happens.
    assert await tiers.reevaluate(config, vn(2025, 6, 1)) == []
    assert tiers.window_start(config, vn(2025, 1, 1, 0, 30)) == vn(2024, 1, 1, 0, 0)
