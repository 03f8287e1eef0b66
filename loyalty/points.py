"""The points ledger: every change is an appended `PointsEntry`, the balance is its sum.

`Member.points_balance` caches that sum and carries CHECK(points_balance >= 0). Debits are a
conditional UPDATE (`points_balance >= amount`), so a balance cannot go negative even if two
spends race. A `ref` makes a posting idempotent: `(kind, ref)` is unique, and posting the same
kind and ref again returns the first row without touching the balance.

Functions ending in `_locked` run inside the caller's transaction with the member locked (the
order and play services use them). The others open their own transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from loyalty.clock import utcnow
from loyalty.config import LoyaltyConfig
from loyalty.errors import InsufficientPoints, InvalidAmount
from loyalty.models import Member, PointsEntry
from loyalty.tiers import upgrade_locked
from loyalty.txn import lock_member, retry_on_conflict


async def post_locked(
    member: Member,
    kind: str,
    amount: int,
    *,
    earned_delta: int = 0,
    reason: str = "",
    ref: str | None = None,
    now: datetime | None = None,
    clamp: bool = False,
) -> PointsEntry | None:
    """Append one ledger row and move the cached balance.

    With `clamp`, a debit larger than the balance takes only what is there (None if nothing);
    without it, `InsufficientPoints` is raised. `earned_delta` never takes points earned
    below 0.
    """
    if ref is not None:
        existing = await PointsEntry.get_or_none(kind=kind, ref=ref)
        if existing is not None:
            return existing
    if amount < 0 and member.points_balance + amount < 0:
        if not clamp:
            raise InsufficientPoints(
                f"balance {member.points_balance} < {-amount}",
                balance=member.points_balance,
                needed=-amount,
            )
        amount = -member.points_balance
    earned_delta = max(earned_delta, -member.points_earned)
    if amount == 0 and earned_delta == 0 and clamp:
        return None
    changed = await Member.filter(id=member.id, points_balance__gte=max(0, -amount)).update(
        points_balance=F("points_balance") + amount,
        points_earned=F("points_earned") + earned_delta,
    )
    if changed != 1:  # only possible if the caller did not hold the lock
        raise InsufficientPoints("balance changed underneath", balance=member.points_balance)
    member.points_balance += amount
    member.points_earned += earned_delta
    return await PointsEntry.create(
        member_id=member.id,
        kind=kind,
        amount=amount,
        balance_after=member.points_balance,
        earned_delta=earned_delta,
        reason=reason[:255],
        ref=ref,
        created_at=now or utcnow(),
    )


async def _post(
    member: Member,
    kind: str,
    amount: int,
    *,
    config: LoyaltyConfig | None = None,
    now: datetime | None = None,
    **kwargs: object,
) -> PointsEntry | None:
    """One posting in its own transaction, then the immediate tier upgrade when `config`."""

    async def attempt() -> PointsEntry | None:
        when = now or utcnow()
        async with in_transaction():
            locked = await lock_member(member.id)
            entry = await post_locked(locked, kind, amount, now=when, **kwargs)  # type: ignore[arg-type]
            if config is not None and entry is not None and entry.earned_delta > 0:
                await upgrade_locked(locked, config, when)
        member.points_balance = locked.points_balance
        member.points_earned = locked.points_earned
        member.tier = locked.tier
        return entry

    return await retry_on_conflict(attempt)


def _positive(amount: int) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount("points amount must be a positive integer")
    return amount


async def earn(
    member: Member,
    amount: int,
    *,
    reason: str = "",
    ref: str | None = None,
    now: datetime | None = None,
    counts_for_tier: bool = True,
    config: LoyaltyConfig | None = None,
) -> PointsEntry:
    """Credit points (counted towards tiers unless `counts_for_tier=False`).

    With `config`, the tier is upgraded in the same transaction (and its reward issued).
    """
    amount = _positive(amount)
    delta = amount if counts_for_tier else 0
    entry = await _post(
        member,
        "earn",
        amount,
        earned_delta=delta,
        reason=reason,
        ref=ref,
        now=now,
        config=config,
    )
    assert entry is not None
    return entry


async def redeem(
    member: Member,
    amount: int,
    *,
    reason: str = "",
    ref: str | None = None,
    now: datetime | None = None,
) -> PointsEntry:
    """Spend points. Raises `InsufficientPoints` when the balance is short."""
    amount = _positive(amount)
    entry = await _post(member, "redeem", -amount, reason=reason, ref=ref, now=now)
    assert entry is not None
    return entry


async def adjust(
    member: Member,
    amount: int,
    *,
    reason: str,
    ref: str | None = None,
    now: datetime | None = None,
    counts_for_tier: bool = False,
    config: LoyaltyConfig | None = None,
) -> PointsEntry:
    """A manual correction by staff (signed). Negative adjustments cannot overdraw."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidAmount("adjustment must be a non-zero integer")
    delta = amount if counts_for_tier else 0
    entry = await _post(
        member,
        "adjust",
        amount,
        earned_delta=delta,
        reason=reason,
        ref=ref,
        now=now,
        config=config,
    )
    assert entry is not None
    return entry


async def expire(
    member: Member,
    amount: int,
    *,
    reason: str = "",
    ref: str | None = None,
    now: datetime | None = None,
) -> PointsEntry | None:
    """Expire up to `amount` points (clamped to the balance). None when nothing was left."""
    amount = _positive(amount)
    return await _post(member, "expire", -amount, reason=reason, ref=ref, now=now, clamp=True)


async def reverse(
    member: Member,
    amount: int,
    *,
    earned_delta: int = 0,
    reason: str = "",
    ref: str | None = None,
    now: datetime | None = None,
) -> PointsEntry | None:
    """Take back up to `amount` points (clamped to the balance, see `orders.refund_order`)."""
    amount = _positive(amount)
    return await _post(
        member,
        "reversal",
        -amount,
        earned_delta=earned_delta,
        reason=reason,
        ref=ref,
        now=now,
        clamp=True,
    )


async def history(member: Member, *, limit: int = 20, offset: int = 0) -> list[PointsEntry]:
    """The ledger, newest first (for `GET /api/v1/me/points`)."""
    return (
        await PointsEntry.filter(member_id=member.id)
        .order_by("-created_at", "-id")
        .offset(offset)
        .limit(limit)
    )


async def ledger_sum(member: Member) -> int:
    rows = await PointsEntry.filter(member_id=member.id).annotate(s=Sum("amount")).values("s")
    return int(rows[0]["s"] or 0) if rows else 0


async def expire_due(config: LoyaltyConfig, now: datetime | None = None) -> list[PointsEntry]:
    """Expire points older than `points_expire_days`, oldest first (FIFO).

    Points still to expire for a member = credits older than the cutoff minus every debit so
    far (debits consume the oldest points first). One row per member per cutoff day.
    """
    if config.points_expire_days is None:
        return []
    now = now or utcnow()
    cutoff = now - timedelta(days=config.points_expire_days)
    credits = await _sums(PointsEntry.filter(amount__gt=0, created_at__lt=cutoff))
    debits = await _sums(PointsEntry.filter(amount__lt=0))
    entries: list[PointsEntry] = []
    for member_id, old_credit in credits.items():
        due = old_credit + debits.get(member_id, 0)
        if due <= 0:
            continue
        member = await Member.get(id=member_id)
        entry = await expire(
            member,
            due,
            reason="points expired",
            ref=f"expire:{member_id}:{cutoff.date()}",
            now=now,
        )
        if entry is not None:
            entries.append(entry)
    return entries


async def _sums(query: object) -> dict[int, int]:
    rows = await query.group_by("member_id").annotate(s=Sum("amount")).values("member_id", "s")  # type: ignore[attr-defined]
    return {int(r["member_id"]): int(r["s"] or 0) for r in rows}
