"""Merging two members who turned out to be one person.

The rule, applied in one transaction with both rows locked (lower id first):

- The **older** member (earlier `created_at`, then lower id) survives and keeps its member
  code. The other one stays as an empty row with `merged_into` set, so its old member code,
  id and QR keep resolving to the survivor (`members.resolve`).
- Identities, points ledger rows, vouchers, plays, awards and orders move to the survivor.
  Balances and points earned add up, so the ledger still sums to the cached balance.
  Ledger rows keep their historical `balance_after`. Draw logs are audit rows and keep the
  original player. Consent rows stay with their member (the ledger is append-only); the
  survivor's `marketing_opt_in` becomes the newest marketing decision of either.
- The phone is the one being linked, else the survivor's, else the other's. The name is the
  survivor's, else the other's.
- The tier is the higher of the two (or more, if the combined points reach it). Tier rewards
  are issued only for tiers neither member had reached.
- Two plays of one game with the same idempotency key: the moved one's key gets a
  `merged:<old id>:` prefix so both plays are kept.
"""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from loyalty.clock import utcnow
from loyalty.config import LoyaltyConfig
from loyalty.consent import refresh_after_merge
from loyalty.errors import Conflict
from loyalty.models import Award, Member, MemberIdentity, Order, Play, PointsEntry, Voucher
from loyalty.tiers import rank, upgrade_locked
from loyalty.txn import lock_member


async def merge_members(
    a: Member, b: Member, *, config: LoyaltyConfig | None = None, phone: str | None = None
) -> Member:
    """Merge `a` and `b` by the rule above and return the survivor."""
    if a.id == b.id:
        return a
    async with in_transaction():
        low, high = sorted((a.id, b.id))
        first, second = await lock_member(low), await lock_member(high)
        for m in (first, second):
            if m.merged_into_id is not None:  # type: ignore[attr-defined]
                raise Conflict(f"member {m.member_code} was already merged")
        survivor, loser = sorted((first, second), key=lambda m: (m.created_at, m.id))
        final_phone = phone or survivor.phone or loser.phone
        s_id, l_id = survivor.id, loser.id

        await _move_plays(s_id, l_id)
        await MemberIdentity.filter(member_id__in=(s_id, l_id), kind="phone").delete()
        await MemberIdentity.filter(member_id=l_id).update(member_id=s_id)
        await PointsEntry.filter(member_id=l_id).update(member_id=s_id)
        await Voucher.filter(member_id=l_id).update(member_id=s_id)
        await Award.filter(member_id=l_id).update(member_id=s_id)
        await Order.filter(member_id=l_id).update(member_id=s_id)

        await Member.filter(id=l_id).update(
            phone=None, points_balance=0, points_earned=0, merged_into_id=s_id
        )
        await Member.filter(id=s_id).update(
            phone=final_phone,
            name=survivor.name or loser.name,
            points_balance=F("points_balance") + loser.points_balance,
            points_earned=F("points_earned") + loser.points_earned,
        )
        if final_phone:
            await MemberIdentity.create(member_id=s_id, kind="phone", value=final_phone)
        await refresh_after_merge(s_id)  # consent rows stay put: the newest decision wins

        merged = await lock_member(s_id)
        if config is not None:
            floor = max(rank(config, survivor.tier), rank(config, loser.tier))
            await upgrade_locked(merged, config, utcnow(), floor_rank=floor)
        elif loser.points_earned > survivor.points_earned and loser.tier:
            await Member.filter(id=s_id).update(tier=loser.tier)
        return await Member.get(id=s_id)


async def _move_plays(survivor_id: int, loser_id: int) -> None:
    taken = set(await Play.filter(member_id=survivor_id).values_list("game_id", "idempotency_key"))
    moving = await Play.filter(member_id=loser_id).values_list("id", "game_id", "idempotency_key")
    for play_id, game_id, key in moving:
        if (game_id, key) in taken:
            new_key = f"merged:{loser_id}:{key}"[:128]
            await Play.filter(id=play_id).update(idempotency_key=new_key)
    await Play.filter(member_id=loser_id).update(member_id=survivor_id)
