"""Paid orders from the POS or shop: points, tier, and refunds.

`record_order` is idempotent by `order_id`: the first call writes the order, the ledger row
(`ref = "order:<order_id>"`) and any tier upgrade, and stores its result on the order. Every
later call with that id, even while the first is still running, changes nothing and returns
that stored result with `duplicate=True`.

Refunds take the order's points back with a `reversal` row. The balance never goes below 0:
the reversal is **clamped** to what the member still has (points already spent on rewards
stay spent), and the shortfall is reported as `points_unrecovered`. The tier follows points
earned, which drop by the full order points, so the tier is lowered right away if needed.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from loyalty.clock import aware, utcnow
from loyalty.config import LoyaltyConfig
from loyalty.errors import InvalidAmount, InvalidInput, OrderNotFound
from loyalty.members import get_by_code, get_or_create_by_phone
from loyalty.models import Member, Order
from loyalty.points import post_locked
from loyalty.segments.refresh import refresh_member
from loyalty.segments.rules import SegmentSpec
from loyalty.tiers import lower_to_points_locked, upgrade_locked
from loyalty.txn import lock_member, retry_on_conflict

MAX_AMOUNT = 10**12  # VND: anything above is a typo in the POS payload
log = logging.getLogger("loyalty.orders")


async def _refresh_segments(member_id: int, segments: SegmentSpec | None) -> None:
    """After the order committed: the member's RFM row and segments, at once. A failure here
    never fails the order (the next scheduled refresh recomputes everybody)."""
    if segments is None:
        return
    try:
        await refresh_member(member_id, segments)
    except Exception:
        log.warning("segment refresh of member %s failed", member_id, exc_info=True)


@dataclass(frozen=True, slots=True)
class OrderResult:
    order_id: str
    member_code: str
    amount: int
    points: int
    balance: int  # balance right after this order
    tier: str  # tier right after this order
    upgraded_from: str | None = None
    vouchers: list[str] = field(default_factory=list)  # tier reward codes issued
    paid_at: str = ""
    status: str = "paid"
    duplicate: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RefundResult:
    order_id: str
    member_code: str
    points_reversed: int
    points_unrecovered: int
    balance: int
    tier: str
    duplicate: bool = False
    member_id: int | None = None


def _stored(order: Order) -> OrderResult:
    data = dict(order.result or {})
    data["duplicate"] = True
    return OrderResult(**data)


async def record_order(
    order_id: str,
    amount: int,
    *,
    config: LoyaltyConfig,
    member_code: str | None = None,
    phone: str | None = None,
    paid_at: datetime | None = None,
    now: datetime | None = None,
    segments: SegmentSpec | None = None,
    source: str | None = None,
) -> OrderResult:
    """Record a paid order: points = amount // vnd_per_point, then an immediate tier upgrade.

    The customer is found by member code, or by phone (a new member is created for a phone
    the shop has not seen yet). With `segments`, the member's RFM row and segments are
    recomputed right after the order commits.
    """
    order_id = str(order_id).strip()
    if not order_id or len(order_id) > 128:
        raise InvalidInput("order_id must be 1..128 characters")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidAmount("amount must be a positive whole number of VND")
    if not member_code and not phone:
        raise InvalidInput("give member_code or phone")
    now = now or utcnow()
    paid = aware(paid_at) if paid_at else now

    async def attempt() -> OrderResult:
        existing = await Order.get_or_none(order_id=order_id)
        if existing is not None:
            return _stored(existing)
        if member_code:
            member = await get_by_code(member_code)
        else:
            member = await get_or_create_by_phone(phone or "")
        async with in_transaction():
            locked = await lock_member(member.id)
            again = await Order.get_or_none(order_id=order_id)
            if again is not None:
                return _stored(again)
            return await _record_locked(locked, order_id, amount, paid, config, now, source)

    result = await retry_on_conflict(attempt)
    if segments is not None and not result.duplicate:
        row = await Order.filter(order_id=order_id).first().values_list("member_id", flat=True)
        await _refresh_segments(int(row), segments)  # type: ignore[call-overload]
    return result


async def _record_locked(
    member: Member,
    order_id: str,
    amount: int,
    paid_at: datetime,
    config: LoyaltyConfig,
    now: datetime,
    source: str | None = None,
) -> OrderResult:
    points = amount // config.vnd_per_point
    order = await Order.create(
        source=source,
        order_id=order_id,
        member_id=member.id,
        amount=amount,
        paid_at=paid_at,
        points=points,
        balance_after=0,
        created_at=now,
        result={},
    )
    if points > 0:
        await post_locked(
            member,
            "earn",
            points,
            earned_delta=points,
            reason="order",
            ref=f"order:{order_id}",
            now=now,
        )
    change = await upgrade_locked(member, config, now)
    result = OrderResult(
        order_id=order_id,
        member_code=member.member_code,
        amount=amount,
        points=points,
        balance=member.points_balance,
        tier=member.tier,
        upgraded_from=change.old_tier if change else None,
        vouchers=change.vouchers if change else [],
        paid_at=paid_at.isoformat(),
    )
    data = result.as_dict()
    data.pop("duplicate")
    await Order.filter(id=order.id).update(
        balance_after=member.points_balance, tier_after=member.tier, result=data
    )
    return result


async def refund_order(
    order_id: str,
    *,
    config: LoyaltyConfig | None = None,
    now: datetime | None = None,
    segments: SegmentSpec | None = None,
) -> RefundResult:
    """Refund a whole order: reverse its points (clamped at a zero balance), lower the tier.

    With `segments`, the member's RFM row and segments are recomputed after the refund."""
    now = now or utcnow()

    async def attempt() -> RefundResult:
        order = await Order.get_or_none(order_id=str(order_id).strip())
        if order is None:
            raise OrderNotFound(f"no order {order_id!r}")
        async with in_transaction():
            member = await lock_member(order.member_id)  # type: ignore[attr-defined]
            order = await Order.get(id=order.id)
            if order.status == "refunded":
                return RefundResult(
                    order.order_id,
                    member.member_code,
                    order.points_reversed,
                    order.points - order.points_reversed,
                    member.points_balance,
                    member.tier,
                    duplicate=True,
                )
            reversed_points = 0
            if order.points > 0:
                entry = await post_locked(
                    member,
                    "reversal",
                    -order.points,
                    earned_delta=-order.points,
                    reason="order refunded",
                    ref=f"order:{order.order_id}",
                    now=now,
                    clamp=True,
                )
                reversed_points = -entry.amount if entry is not None else 0
            if config is not None:
                await lower_to_points_locked(member, config, now)
            await Order.filter(id=order.id).update(
                status="refunded", points_reversed=reversed_points, refunded_at=now
            )
            return RefundResult(
                order.order_id,
                member.member_code,
                reversed_points,
                order.points - reversed_points,
                member.points_balance,
                member.tier,
                member_id=member.id,
            )

    result = await retry_on_conflict(attempt)
    if not result.duplicate and result.member_id is not None:
        await _refresh_segments(result.member_id, segments)
    return result
