from __future__ import annotations

import asyncio
import random

import pytest

from games.config import VoucherSpec
from loyalty import members, orders, plays, points, vouchers
from loyalty.config import LoyaltyConfig
from loyalty.errors import InvalidIdentity, MemberNotFound
from loyalty.models import DrawLog, Member, MemberIdentity, Play, PointsEntry, Voucher
from tests.loyalty.conftest import make_game, vn

NOW = vn(2025, 3, 1, 10)


async def test_identity_creates_one_member_even_concurrently(db: str) -> None:
    got = await asyncio.gather(
        *(members.get_or_create_by_identity("messenger", "psid-1") for _ in range(10))
    )
    assert len({m.id for m in got}) == 1
    assert await Member.all().count() == 1
    with pytest.raises(InvalidIdentity):
        await members.get_or_create_by_identity("telegram", "x")


async def test_lookups(db: str) -> None:
    m = await members.get_or_create_by_identity("zalo_app", "app-1", name="Lan")
    m = await members.link_phone(m, "0912 345 678")
    assert (await members.find("+84 912 345 678")).id == m.id
    assert (await members.find(m.member_code.lower())).id == m.id
    assert (await members.get_by_identity("phone", "0912345678")).id == m.id  # type: ignore[union-attr]
    with pytest.raises(MemberNotFound):
        await members.find("0987654321")
    renamed = await members.set_name(m, "  Lan Anh ")
    assert renamed.name == "Lan Anh"


async def test_phone_merge_moves_everything_to_the_older_member(
    db: str, loyalty_config: LoyaltyConfig
) -> None:
    older = await members.get_or_create_by_identity("zalo_oa", "oa-1", name="Minh")
    newer = await members.get_or_create_by_identity("zalo_app", "app-1")
    newer = await members.link_phone(newer, "0912345678")
    await orders.record_order(
        "O-1", 3_000_000, member_code=newer.member_code, config=loyalty_config, now=NOW
    )
    await orders.record_order(
        "O-2", 2_500_000, member_code=older.member_code, config=loyalty_config, now=NOW
    )
    await vouchers.issue_phone_capture(newer, VoucherSpec(value=20_000, valid_days=14))
    game = make_game(plays_per_day=3)
    await plays.play(newer, game, idempotency_key="same", rng=random.Random(1), now=NOW)
    await plays.play(older, game, idempotency_key="same", rng=random.Random(1), now=NOW)

    survivor = await members.link_phone(older, "+84 912 345 678", config=loyalty_config)

    assert survivor.id == older.id and survivor.member_code == older.member_code
    assert survivor.phone == "84912345678" and survivor.name == "Minh"
    assert (survivor.points_balance, survivor.points_earned) == (550, 550)
    assert survivor.tier == "Silver"  # combined points reach it, reward issued once
    assert await Voucher.filter(source="tier_reward").count() == 1
    assert await points.ledger_sum(survivor) == 550
    assert await PointsEntry.filter(member_id=newer.id).count() == 0
    kinds = set(await MemberIdentity.filter(member_id=older.id).values_list("kind", flat=True))
    assert kinds == {"zalo_oa", "zalo_app", "phone"}
    assert await Voucher.filter(member_id=older.id).count() == 4  # 2 prizes, phone, tier
    keys = sorted(await Play.filter(member_id=older.id).values_list("idempotency_key", flat=True))
    assert keys == [f"merged:{newer.id}:same", "same"]
    # The old member code and identity still lead to the survivor, the audit row does not move.
    assert (await members.get_by_code(newer.member_code)).id == older.id
    assert (await members.get_by_identity("zalo_app", "app-1")).id == older.id  # type: ignore[union-attr]
    assert await DrawLog.filter(member_id=newer.id).count() == 1
    gone = await Member.get(id=newer.id)
    assert (gone.points_balance, gone.phone, gone.merged_into_id) == (0, None, older.id)  # type: ignore[attr-defined]
    # Only one phone-capture reward per person, even after the merge.
    again = await vouchers.issue_phone_capture(survivor, VoucherSpec(value=20_000, valid_days=14))
    assert again.source_ref == f"phone_capture:{newer.id}"


async def test_identity_link_merges_too(db: str) -> None:
    a = await members.get_or_create_by_identity("zalo_oa", "oa-9")
    b = await members.get_or_create_by_identity("miniapp", "mini-9")
    await points.earn(b, 7)
    survivor = await members.link_identity(b, "zalo_oa", "oa-9")
    assert survivor.id == a.id and survivor.points_balance == 7
    assert await members.link_identity(survivor, "zalo_oa", "oa-9") == survivor


async def test_relinking_a_new_phone_replaces_the_old(db: str) -> None:
    m = await members.get_or_create_by_identity("zalo_oa", "oa-3")
    await members.link_phone(m, "0912345678")
    m = await members.link_phone(m, "0987654321")
    assert m.phone == "84987654321"
    phones = await MemberIdentity.filter(kind="phone").values_list("value", flat=True)
    assert phones == ["84987654321"]
