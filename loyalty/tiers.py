"""Tiers: computed from points *earned* (never the spendable balance), upgraded at once.

Upgrades happen the moment an earn crosses a threshold, and each tier's reward voucher is
issued once per person, ever (also across merges and after a downgrade and re-upgrade).
Downgrades only happen in `reevaluate`, by the configured policy:

- `none`: tiers never go down (the basis is lifetime points earned),
- `yearly` on MM-DD: the basis is points earned since one year before the last MM-DD,
- `rolling_12_months`: the basis is points earned in the last 365 days.

"Points earned" is the sum of the ledger's `earned_delta`: orders add, refunds subtract,
redeeming and expiry do not count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from loyalty.clock import utcnow, vn_date, vn_midnight
from loyalty.config import LoyaltyConfig, Tier
from loyalty.models import Member, PointsEntry, Voucher
from loyalty.txn import lock_member, retry_on_conflict
from loyalty.vouchers import SOURCE_TIER_REWARD, issue_locked


@dataclass(frozen=True, slots=True)
class TierChange:
    member_id: int
    member_code: str
    old_tier: str
    new_tier: str
    points: int  # the qualifying points the decision was made on
    direction: str  # "up" or "down"
    vouchers: list[str] = field(default_factory=list)  # reward codes issued

    def __str__(self) -> str:
        old = self.old_tier or "-"
        how = f"{self.direction}, {self.points} points"
        return f"{self.member_code}: {old} -> {self.new_tier} ({how})"


@dataclass(frozen=True, slots=True)
class TierProgress:
    tier: Tier
    next_tier: Tier | None
    points_to_next: int | None


def rank(config: LoyaltyConfig, name: str) -> int:
    """Position of a tier in the config, -1 when unknown (new member, or a renamed tier)."""
    return next((i for i, t in enumerate(config.tiers) if t.name == name), -1)


def _shown(config: LoyaltyConfig, name: str) -> str:
    """A member who never had a tier set is at the first tier, for display and reports."""
    return name if rank(config, name) >= 0 else config.tiers[0].name


def current_tier(member: Member, config: LoyaltyConfig) -> Tier:
    r = rank(config, member.tier)
    return config.tiers[r] if r >= 0 else config.tier_for(member.points_earned)


def progress(member: Member, config: LoyaltyConfig) -> TierProgress:
    """For the membership card: tier, next tier and points still needed (on points earned)."""
    tier = current_tier(member, config)
    nxt = next((t for t in config.tiers if t.min_points > tier.min_points), None)
    to_next = max(0, nxt.min_points - member.points_earned) if nxt else None
    return TierProgress(tier, nxt, to_next)


def _last_anniversary(mmdd: str, today: date) -> date:
    month, day = (int(x) for x in mmdd.split("-"))

    def on(year: int) -> date:
        if month == 2 and day == 29:  # not every year has one
            try:
                return date(year, 2, 29)
            except ValueError:
                return date(year, 2, 28)
        return date(year, month, day)

    this_year = on(today.year)
    return this_year if this_year <= today else on(today.year - 1)


def window_start(config: LoyaltyConfig, now: datetime) -> datetime | None:
    """Start of the points window the policy qualifies on (None = lifetime)."""
    policy = config.tier_policy
    if policy.mode == "rolling_12_months":
        return now - timedelta(days=365)
    if policy.mode == "yearly" and policy.date:
        anniversary = _last_anniversary(policy.date, vn_date(now))
        try:
            start = anniversary.replace(year=anniversary.year - 1)
        except ValueError:  # 29 Feb
            start = anniversary.replace(year=anniversary.year - 1, day=28)
        return vn_midnight(start)
    return None


async def qualifying_points(member: Member, config: LoyaltyConfig, now: datetime) -> int:
    start = window_start(config, now)
    if start is None:
        return member.points_earned
    row = (
        await PointsEntry.filter(member_id=member.id, created_at__gte=start)
        .annotate(total=Sum("earned_delta"))
        .first()
        .values("total")
    )
    return int((row or {}).get("total") or 0)


async def _issue_rewards(
    member: Member, config: LoyaltyConfig, from_rank: int, to_rank: int, now: datetime
) -> list[str]:
    """Reward vouchers for tiers in (from_rank, to_rank], each at most once per person."""
    issued: list[str] = []
    for tier in config.tiers[from_rank + 1 : to_rank + 1]:
        if tier.reward is None:
            continue
        had = await Voucher.filter(
            member_id=member.id, source=SOURCE_TIER_REWARD, source_ref__endswith=f":{tier.name}"
        ).exists()
        if had:
            continue
        voucher = await issue_locked(
            member.id,
            tier.reward,
            source=SOURCE_TIER_REWARD,
            source_ref=f"tier:{member.id}:{tier.name}",
            title=tier.name,
            now=now,
        )
        issued.append(voucher.code)
    return issued


async def _set_tier(member: Member, name: str, now: datetime) -> None:
    await Member.filter(id=member.id).update(tier=name, tier_updated_at=now)
    member.tier = name
    member.tier_updated_at = now


async def upgrade_locked(
    member: Member, config: LoyaltyConfig, now: datetime, *, floor_rank: int | None = None
) -> TierChange | None:
    """Inside the caller's transaction (member locked): move up if the points say so.

    `floor_rank` is the highest tier already reached (used by merges): rewards are issued only
    above it.
    """
    old_rank = rank(config, member.tier) if floor_rank is None else floor_rank
    points = await qualifying_points(member, config, now)
    target = config.tier_for(points)
    new_rank = rank(config, target.name)
    if new_rank <= old_rank:
        if floor_rank is not None and rank(config, member.tier) < floor_rank:
            await _set_tier(member, config.tiers[floor_rank].name, now)
        return None
    old_name = _shown(config, member.tier)
    codes = await _issue_rewards(member, config, old_rank, new_rank, now)
    await _set_tier(member, target.name, now)
    return TierChange(member.id, member.member_code, old_name, target.name, points, "up", codes)


async def lower_to_points_locked(
    member: Member, config: LoyaltyConfig, now: datetime
) -> TierChange | None:
    """After a refund: drop to what the points support, never above the current tier."""
    points = await qualifying_points(member, config, now)
    target = config.tier_for(points)
    current = rank(config, member.tier)
    if current < 0 or rank(config, target.name) >= current:
        return None
    old_name = member.tier
    await _set_tier(member, target.name, now)
    return TierChange(member.id, member.member_code, old_name, target.name, points, "down")


async def _points_by_member(start: datetime | None) -> dict[int, int]:
    query = PointsEntry.all()
    if start is not None:
        query = query.filter(created_at__gte=start)
    rows = (
        await query.group_by("member_id")
        .annotate(total=Sum("earned_delta"))
        .values("member_id", "total")
    )
    return {int(r["member_id"]): int(r["total"] or 0) for r in rows}


async def reevaluate(
    config: LoyaltyConfig, now: datetime | None = None, *, dry_run: bool = False
) -> list[TierChange]:
    """Apply the tier policy to every member (downgrades and missed upgrades).

    Returns the changes (printable with `str()`); with `dry_run` nothing is written. Safe to
    run every day: with the `yearly` policy the window only grows between anniversaries.
    """
    now = now or utcnow()
    if config.tier_policy.mode == "none":
        return []
    start = window_start(config, now)
    totals = await _points_by_member(start)
    changes: list[TierChange] = []
    for member in await Member.filter(merged_into_id__isnull=True).order_by("id"):
        points = totals.get(member.id, 0)
        target = config.tier_for(points)
        if target.name == _shown(config, member.tier):
            continue
        if dry_run:
            up = rank(config, target.name) > rank(config, member.tier)
            direction = "up" if up else "down"
            old = _shown(config, member.tier)
            changes.append(
                TierChange(member.id, member.member_code, old, target.name, points, direction)
            )
            continue
        # A voucher-code clash (UNIQUE) rolls the member's change back: run it again.
        change = await retry_on_conflict(partial(_apply, member.id, config, now))
        if change is not None:
            changes.append(change)
    return changes


async def _apply(member_id: int, config: LoyaltyConfig, now: datetime) -> TierChange | None:
    async with in_transaction():
        member = await lock_member(member_id)
        points = await qualifying_points(member, config, now)
        target = config.tier_for(points)
        old_rank, new_rank = rank(config, member.tier), rank(config, target.name)
        old_name = _shown(config, member.tier)
        if new_rank == old_rank or old_name == target.name:
            return None
        codes: list[str] = []
        if new_rank > old_rank:
            codes = await _issue_rewards(member, config, old_rank, new_rank, now)
        await _set_tier(member, target.name, now)
        direction = "up" if new_rank > old_rank else "down"
        return TierChange(
            member.id, member.member_code, old_name, target.name, points, direction, codes
        )
