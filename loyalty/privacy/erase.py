"""Erase a person's personal data from the loyalty tables; the ledgers keep adding up.

In one transaction, with the member locked:

- the member row (and every member merged into it) keeps its id, balance, tier and ledger
  rows, but loses its name, phone, birthday, avatar and any other personal column in
  `PERSONAL_FIELDS`; it gets a fresh random member code (the old code, QR and phone no longer
  find anything) and `erased_at`;
- its identities (Zalo ids, PSID, phone) are deleted, so the same person writing again, or
  signing in to the Mini App again, is a new member;
- stored order answers (replayed to the POS on a duplicate `order_id`) name the new code;
- granted consents get a withdrawal row (method `erasure`), so the consent ledger and
  `marketing_opt_in` agree.

Points, vouchers, orders, plays, awards and draw logs keep their rows and amounts: the shop's
reports and the promotion ledger add up as before, attached to an anonymous member.
Erasing twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from loyalty import codes, consent
from loyalty.clock import utcnow
from loyalty.members import resolve
from loyalty.models import Member, MemberIdentity, MemberTag, SegmentMember
from loyalty.rawsql import execute, is_postgres
from loyalty.txn import lock_member

# Personal columns of `member`, nulled by an erasure (those the model has; later issues add
# birthday, avatar, ... and are covered by name here).
PERSONAL_FIELDS = ("name", "phone", "birthday", "avatar", "avatar_url", "email", "gender")
ERASURE_TEXT = "Xoá dữ liệu cá nhân theo yêu cầu của khách hàng"
# The stored answers of the member's orders name the new code: one statement, not a row each.
ORDER_RESULT_PG = (
    "UPDATE pos_order SET result = jsonb_set(result, '{member_code}', to_jsonb(?::text))"
    " WHERE member_id = ? AND result <> '{}'::jsonb"
)
ORDER_RESULT_SQLITE = (
    "UPDATE pos_order SET result = json_set(result, '$.member_code', ?)"
    " WHERE member_id = ? AND result <> '{}'"
)


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure did: the member ids (survivor first) and the identities removed
    (the conversation side uses them to find the person's chats)."""

    member_ids: list[int]
    identities: list[tuple[str, str]]
    already: bool
    at: datetime


def _personal_fields() -> list[str]:
    present = Member._meta.fields_map
    return [name for name in PERSONAL_FIELDS if name in present and present[name].null]


async def identities_of(member: Member) -> list[tuple[str, str]]:
    ids = await consent.family_ids(member.id)
    rows = await MemberIdentity.filter(member_id__in=ids).values_list("kind", "value")
    return [(str(k), str(v)) for k, v in rows]


async def _new_code() -> str:
    code = codes.generate(codes.MEMBER_LENGTH)
    while await Member.exists(member_code=code):
        code = codes.generate(codes.MEMBER_LENGTH)
    return code


async def erase_member(
    member: Member, *, recorded_by: str = "member", now: datetime | None = None
) -> Erasure:
    """Erase by the rules above; returns what was removed."""
    now = now or utcnow()
    async with in_transaction():
        me = await lock_member((await resolve(member)).id)
        ids = await consent.family_ids(me.id)
        if me.erased_at is not None:
            return Erasure(ids, [], True, me.erased_at)
        removed = await identities_of(me)
        states = await consent.current(me)
        for state in states.values():
            if state.granted:
                await consent.withdraw(
                    me,
                    state.purpose,
                    channel="api",
                    method="erasure",
                    text=ERASURE_TEXT,
                    recorded_by=recorded_by,
                    now=now,
                )
        await MemberIdentity.filter(member_id__in=ids).delete()
        # Tags describe the person (`vip`, `khách sỉ`); segments are recomputed without them.
        await MemberTag.filter(member_id__in=ids).delete()
        await SegmentMember.filter(member_id__in=ids).delete()
        blank = dict.fromkeys(_personal_fields())
        for member_id in ids:
            await Member.filter(id=member_id).update(
                **blank, member_code=await _new_code(), marketing_opt_in=False, erased_at=now
            )
        survivor_code = await Member.get(id=me.id).values_list("member_code", flat=True)
        await execute(ORDER_RESULT_PG if is_postgres() else ORDER_RESULT_SQLITE,
                      survivor_code, me.id)  # fmt: skip
        return Erasure(ids, removed, False, now)
