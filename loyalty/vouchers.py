"""Vouchers: issue (once per `source_ref`), list for a member, redeem exactly once.

Redeeming is one conditional UPDATE (`redeemed_at IS NULL AND expires_at > now`): of any number
of simultaneous redeems of one code exactly one changes a row, the others are told why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from games.config import VoucherSpec
from loyalty import codes
from loyalty.clock import utcnow
from loyalty.errors import (
    InvalidVoucherCode,
    VoucherAlreadyRedeemed,
    VoucherExpired,
    VoucherNotFound,
)
from loyalty.models import Member, Voucher

Status = Literal["available", "used", "expired"]

# `source` values; `source_ref` conventions make each reward idempotent.
SOURCE_PRIZE = "prize"  # source_ref "play:<play id>"
SOURCE_PHONE_CAPTURE = "phone_capture"  # "phone_capture:<member id>"
SOURCE_TIER_REWARD = "tier_reward"  # "tier:<member id>:<tier name>"
SOURCE_MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class VoucherView:
    code: str
    title: str
    kind: str
    value: int
    min_order: int
    source: str
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    status: Status


def status_of(voucher: Voucher, now: datetime | None = None) -> Status:
    now = now or utcnow()
    if voucher.redeemed_at is not None:
        return "used"
    return "expired" if voucher.expires_at <= now else "available"


def view(voucher: Voucher, now: datetime | None = None) -> VoucherView:
    return VoucherView(
        code=voucher.code,
        title=voucher.title,
        kind=voucher.kind,
        value=voucher.value,
        min_order=voucher.min_order,
        source=voucher.source,
        issued_at=voucher.issued_at,
        expires_at=voucher.expires_at,
        redeemed_at=voucher.redeemed_at,
        status=status_of(voucher, now),
    )


def _new_code() -> str:
    """A random code. No lookup first: a clash (31^9 codes) hits the UNIQUE index,
    and every caller retries its whole transaction on IntegrityError with a new code."""
    return codes.generate(codes.VOUCHER_LENGTH)


async def issue_locked(
    member_id: int,
    spec: VoucherSpec,
    *,
    source: str,
    source_ref: str | None,
    title: str | None = None,
    now: datetime | None = None,
    new_ref: bool = False,
) -> Voucher:
    """Issue inside the caller's transaction (which holds the member lock): no retry here.

    `new_ref`: the caller knows no voucher can have this `source_ref` yet (it names a row
    made in the same transaction), so the lookup is skipped.
    """
    if source_ref is not None and not new_ref:
        existing = await Voucher.get_or_none(source_ref=source_ref)
        if existing is not None:
            return existing
    now = now or utcnow()
    return await Voucher.create(
        code=_new_code(),
        member_id=member_id,
        kind=spec.kind,
        value=spec.value,
        min_order=spec.min_order,
        title=(spec.title or title or "")[:128],
        source=source,
        source_ref=source_ref,
        issued_at=now,
        expires_at=now + timedelta(days=spec.valid_days),
    )


async def issue(
    member: Member,
    spec: VoucherSpec,
    *,
    source: str,
    source_ref: str | None = None,
    title: str | None = None,
    now: datetime | None = None,
) -> Voucher:
    """Issue a voucher. With a `source_ref`, a second call returns the first voucher."""
    for _ in range(4):
        try:
            async with in_transaction():
                return await issue_locked(
                    member.id, spec, source=source, source_ref=source_ref, title=title, now=now
                )
        except IntegrityError:
            if source_ref is not None:
                existing = await Voucher.get_or_none(source_ref=source_ref)
                if existing is not None:
                    return existing
    raise RuntimeError("could not issue a voucher after 4 attempts")


async def issue_phone_capture(
    member: Member, spec: VoucherSpec, *, title: str | None = None, now: datetime | None = None
) -> Voucher:
    """The once-per-person reward for sharing a phone number (also once across merges)."""
    already = await Voucher.filter(member_id=member.id, source=SOURCE_PHONE_CAPTURE).first()
    if already is not None:
        return already
    return await issue(
        member,
        spec,
        source=SOURCE_PHONE_CAPTURE,
        source_ref=f"phone_capture:{member.id}",
        title=title,
        now=now,
    )


async def list_for_member(
    member: Member, *, now: datetime | None = None, status: Status | None = None
) -> list[VoucherView]:
    """Newest first. Filter by `status` (available / used / expired) when given."""
    now = now or utcnow()
    rows = await Voucher.filter(member_id=member.id).order_by("-issued_at", "-id")
    views = [view(v, now) for v in rows]
    return [v for v in views if status is None or v.status == status]


async def count_available(member: Member, *, now: datetime | None = None) -> int:
    now = now or utcnow()
    return await Voucher.filter(
        member_id=member.id, redeemed_at__isnull=True, expires_at__gt=now
    ).count()


async def get(code: str) -> Voucher:
    """A voucher by code as staff typed it. A failed check character is a typo, not 404."""
    normalized = codes.normalize(code)
    if not codes.is_valid(normalized):
        raise InvalidVoucherCode("the code has a typo (check character does not match)")
    voucher = await Voucher.get_or_none(code=normalized)
    if voucher is None:
        raise VoucherNotFound(f"no voucher {normalized}")
    return voucher


async def redeem(code: str, *, now: datetime | None = None, ref: str | None = None) -> Voucher:
    """Mark a voucher used. Exactly one of many concurrent calls succeeds.

    Raises `VoucherAlreadyRedeemed` (API: 409), `VoucherExpired`, `VoucherNotFound` or
    `InvalidVoucherCode`.
    """
    now = now or utcnow()
    voucher = await get(code)
    changed = await Voucher.filter(
        id=voucher.id, redeemed_at__isnull=True, expires_at__gt=now
    ).update(redeemed_at=now, redeemed_ref=ref)
    await voucher.refresh_from_db()
    if changed == 1:
        return voucher
    if voucher.redeemed_at is not None:
        raise VoucherAlreadyRedeemed(
            f"voucher {voucher.code} was already redeemed", redeemed_at=voucher.redeemed_at
        )
    raise VoucherExpired(f"voucher {voucher.code} has expired", expires_at=voucher.expires_at)
