from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from games.config import VoucherSpec
from loyalty import codes, vouchers
from loyalty.errors import (
    InvalidVoucherCode,
    VoucherAlreadyRedeemed,
    VoucherExpired,
    VoucherNotFound,
)
from loyalty.models import Voucher
from tests.loyalty.conftest import new_member, vn

NOW = vn(2025, 3, 1, 10)
SPEC = VoucherSpec(value=50_000, valid_days=30, min_order=100_000, title="Giảm 50K")


async def test_issue_is_idempotent_by_source_ref(db: str) -> None:
    member = await new_member()
    a = await vouchers.issue(member, SPEC, source="manual", source_ref="campaign:1", now=NOW)
    b = await vouchers.issue(member, SPEC, source="manual", source_ref="campaign:1", now=NOW)
    assert a.id == b.id and codes.is_valid(a.code)
    assert a.expires_at == NOW + timedelta(days=30)
    assert (a.title, a.min_order, a.kind) == ("Giảm 50K", 100_000, "amount")
    results = await asyncio.gather(
        *(
            vouchers.issue(member, SPEC, source="manual", source_ref="campaign:2", now=NOW)
            for _ in range(10)
        )
    )
    assert len({v.id for v in results}) == 1
    assert await Voucher.all().count() == 2


async def test_20_concurrent_redeems_one_wins(db: str) -> None:
    member = await new_member()
    voucher = await vouchers.issue(member, SPEC, source="manual", now=NOW)
    outcomes = await asyncio.gather(
        *(vouchers.redeem(voucher.code, now=NOW + timedelta(hours=1)) for _ in range(20)),
        return_exceptions=True,
    )
    ok = [o for o in outcomes if isinstance(o, Voucher)]
    refused = [o for o in outcomes if isinstance(o, VoucherAlreadyRedeemed)]
    assert len(ok) == 1 and len(refused) == 19
    assert refused[0].status == 409 and refused[0].code == "voucher_already_redeemed"
    await voucher.refresh_from_db()
    assert voucher.redeemed_at == NOW + timedelta(hours=1)


async def test_expired_unknown_and_typo(db: str) -> None:
    member = await new_member()
    voucher = await vouchers.issue(member, SPEC, source="manual", now=NOW)
    with pytest.raises(VoucherExpired):
        await vouchers.redeem(voucher.code, now=NOW + timedelta(days=30))
    typo = (
        voucher.code[:-2]
        + next(c for c in codes.ALPHABET if c != voucher.code[-2])
        + voucher.code[-1]
    )
    with pytest.raises(InvalidVoucherCode):
        await vouchers.redeem(typo, now=NOW)
    other = codes.generate()
    with pytest.raises(VoucherNotFound):
        await vouchers.redeem(other, now=NOW)
    spaced = f"{voucher.code[:5].lower()} {voucher.code[5:]}"
    assert (await vouchers.redeem(spaced, now=NOW)).id == voucher.id


async def test_list_for_member_by_status(db: str) -> None:
    member = await new_member()
    used = await vouchers.issue(member, SPEC, source="manual", now=NOW)
    await vouchers.issue(member, VoucherSpec(value=10_000, valid_days=1), source="manual", now=NOW)
    await vouchers.issue(member, SPEC, source="manual", now=NOW + timedelta(seconds=1))
    await vouchers.redeem(used.code, now=NOW)
    later = NOW + timedelta(days=2)
    listed = await vouchers.list_for_member(member, now=later)
    assert [v.status for v in listed] == ["available", "expired", "used"]
    assert len(await vouchers.list_for_member(member, now=later, status="available")) == 1
    assert await vouchers.count_available(member, now=later) == 1


async def test_phone_capture_reward_once(db: str) -> None:
    member = await new_member()
    spec = VoucherSpec(value=20_000, valid_days=14)
    a = await vouchers.issue_phone_capture(member, spec, now=NOW)
    b = await vouchers.issue_phone_capture(member, spec, now=NOW)
    assert a.id == b.id and a.source_ref == f"phone_capture:{member.id}"
