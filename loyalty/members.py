"""Members: find or create them by platform identity, member code or phone, link identities.

One person may reach us from the OA chat, the Mini App and Messenger before we know they are
the same. When two members turn out to be one (the same phone, or an identity already owned
by another member), they are merged: see `loyalty.merge` for the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from loyalty import codes
from loyalty.config import LoyaltyConfig
from loyalty.errors import InvalidIdentity, InvalidInput, MemberNotFound
from loyalty.merge import merge_members
from loyalty.models import IDENTITY_KINDS, MEMBER_SOURCES, Member, MemberIdentity
from loyalty.phone import is_phone_like, normalize_phone
from loyalty.txn import lock_member, retry_on_conflict

_MAX_VALUE = 128


def _check_identity(kind: str, value: str) -> str:
    if kind not in IDENTITY_KINDS:
        raise InvalidIdentity(f"identity kind must be one of {', '.join(IDENTITY_KINDS)}")
    value = normalize_phone(value) if kind == "phone" else str(value).strip()
    if not value or len(value) > _MAX_VALUE:
        raise InvalidIdentity("identity value must be 1..128 characters")
    return value


async def resolve(member: Member | int) -> Member:
    """The live member: follows `merged_into` so old ids and codes keep working after a merge."""
    member_id = member if isinstance(member, int) else member.id
    current = await Member.get_or_none(id=member_id)
    if current is None:
        raise MemberNotFound(f"no member with id {member_id}")
    seen = {current.id}
    while current.merged_into_id is not None:  # type: ignore[attr-defined]
        nxt = await Member.get_or_none(id=current.merged_into_id)  # type: ignore[attr-defined]
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        current = nxt
    return current


SOURCE_OF_KIND = {
    "zalo_oa": "zalo_follow",
    "zalo_app": "miniapp",
    "miniapp": "miniapp",
    "messenger": "messenger",
    "phone": "pos",
}
"""`Member.source` of a member created on first contact through an identity of this kind."""


def check_source(source: str) -> str:
    """A source is one of `MEMBER_SOURCES` or a QR / link ref written `qr:<ref>`."""
    source = source.strip()
    if source in MEMBER_SOURCES or (source.startswith("qr:") and 3 < len(source) <= 64):
        return source
    raise InvalidInput(f"source must be one of {', '.join(MEMBER_SOURCES)} or qr:<ref>")


async def _new_member(
    name: str | None = None, phone: str | None = None, *, source: str | None = None
) -> Member:
    code = codes.generate(codes.MEMBER_LENGTH)
    while await Member.exists(member_code=code):
        code = codes.generate(codes.MEMBER_LENGTH)
    member = await Member.create(member_code=code, name=name, phone=phone, source=source)
    if phone is not None:
        await MemberIdentity.create(member=member, kind="phone", value=phone)
    return member


async def get_by_identity(kind: str, value: str) -> Member | None:
    value = _check_identity(kind, value)
    identity = await MemberIdentity.get_or_none(kind=kind, value=value)
    return await resolve(identity.member_id) if identity else None  # type: ignore[attr-defined]


async def get_or_create_by_identity(
    kind: str, value: str, *, name: str | None = None, source: str | None = None
) -> Member:
    """The member behind a platform id, created on first contact (race-safe).

    A new member's `source` is `source` when given (e.g. `qr:<ref>` from a scanned code),
    else what the identity kind says (`SOURCE_OF_KIND`); it is never changed afterwards.
    """
    value = _check_identity(kind, value)
    source = check_source(source) if source else SOURCE_OF_KIND.get(kind)
    if kind == "phone":
        return await get_or_create_by_phone(value, name=name, source=source)

    async def attempt() -> Member:
        found = await get_by_identity(kind, value)
        if found is not None:
            return found
        async with in_transaction():
            member = await _new_member(name=name, source=source)
            await MemberIdentity.create(member=member, kind=kind, value=value)
            return member

    return await retry_on_conflict(attempt)


async def get_by_code(code: str) -> Member:
    member = await Member.get_or_none(member_code=codes.normalize(code))
    if member is None:
        raise MemberNotFound(f"no member with code {code!r}")
    return await resolve(member)


async def get_by_phone(phone: str) -> Member:
    member = await Member.get_or_none(phone=normalize_phone(phone))
    if member is None:
        raise MemberNotFound("no member with this phone")
    return member


async def find(key: str) -> Member:
    """A member by member code or by phone (`84…`, `0…`, `+84…`), as staff type it."""
    if is_phone_like(key):
        return await get_by_phone(key)
    return await get_by_code(key)


async def get_or_create_by_phone(
    phone: str, *, name: str | None = None, source: str | None = "pos"
) -> Member:
    """For a POS customer known only by phone: the member with that phone, or a new one."""
    phone = normalize_phone(phone)

    async def attempt() -> Member:
        found = await Member.get_or_none(phone=phone)
        if found is not None:
            return found
        async with in_transaction():
            return await _new_member(name=name, phone=phone, source=source)

    return await retry_on_conflict(attempt)


async def link_identity(
    member: Member, kind: str, value: str, *, config: LoyaltyConfig | None = None
) -> Member:
    """Attach a platform id to `member`. If another member owns it, the two are merged.

    Returns the surviving member (the older one), which may not be `member`.
    """
    value = _check_identity(kind, value)
    if kind == "phone":
        return await link_phone(member, value, config=config)

    async def attempt() -> Member:
        async with in_transaction():
            me = await lock_member((await resolve(member)).id)
            identity = await MemberIdentity.get_or_none(kind=kind, value=value)
            if identity is None:
                await MemberIdentity.create(member=me, kind=kind, value=value)
                return me
            owner = await resolve(identity.member_id)  # type: ignore[attr-defined]
            if owner.id == me.id:
                return me
            return await merge_members(me, owner, config=config)

    return await retry_on_conflict(attempt)


async def link_phone(member: Member, phone: str, *, config: LoyaltyConfig | None = None) -> Member:
    """Set the member's phone. If another member has it, the two are merged (older survives).

    A member keeps one phone: linking a new number replaces the old one, whose `phone`
    identity is dropped so a recycled number cannot pull a stranger into this account.
    """
    phone = normalize_phone(phone)

    async def attempt() -> Member:
        async with in_transaction():
            me = await lock_member((await resolve(member)).id)
            owner = await Member.get_or_none(phone=phone)
            if owner is not None and owner.id != me.id:
                return await merge_members(me, owner, config=config, phone=phone)
            if me.phone != phone:
                await MemberIdentity.filter(member_id=me.id, kind="phone").delete()
                await Member.filter(id=me.id).update(phone=phone)
                me.phone = phone
            if not await MemberIdentity.exists(kind="phone", value=phone):
                await MemberIdentity.create(member=me, kind="phone", value=phone)
            return me

    return await retry_on_conflict(attempt)


async def set_name(member: Member, name: str) -> Member:
    name = name.strip()[:128]
    me = await resolve(member)
    await Member.filter(id=me.id).update(name=name or None)
    me.name = name or None
    return me


@dataclass(frozen=True, slots=True)
class CardVoucher:
    code: str
    title: str
    kind: str
    value: int
    min_order: int
    source: str
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None


@dataclass(frozen=True, slots=True)
class MemberCard:
    """What the admin look-up shows, read in one statement (no ORM objects on this path)."""

    id: int
    member_code: str
    name: str | None
    phone: str | None
    tier: str
    points_earned: int
    points_balance: int
    marketing_opt_in: bool
    created_at: datetime
    source: str | None
    birthday: date | None
    rfm: dict[str, Any] | None  # r, f, m, segment, stage, orders_total, spend_total
    tags: list[str]
    has_played: bool
    vouchers: list[CardVoucher]  # newest first


def _card_sql(by: str, pg: bool) -> str:
    """The member (by code: followed along `merged_into`, as `resolve` does; by phone: as
    stored), its RFM row, tags and whether it played, then one row per voucher."""
    tags = "string_agg(t.tag, ',' ORDER BY t.tag)" if pg else "group_concat(t.tag, ',')"
    if by == "code":
        start = (
            "WITH RECURSIVE chain(id, next_id, depth) AS ("
            " SELECT id, merged_into_id, 0 FROM member WHERE member_code = ?"
            " UNION ALL SELECT m.id, m.merged_into_id, c.depth + 1"
            " FROM chain c JOIN member m ON m.id = c.next_id WHERE c.depth < 32),"
            " hit AS (SELECT id FROM chain ORDER BY depth DESC LIMIT 1),"
        )
        where = "m.id = (SELECT id FROM hit)"
    else:
        start, where = "WITH", "m.phone = ?"
    return (
        f"{start} me AS (SELECT m.id, m.member_code, m.name, m.phone, m.tier,"
        " m.points_earned, m.points_balance, m.marketing_opt_in, m.created_at, m.source,"
        " m.birthday, rf.r, rf.f, rf.m AS rfm_m, rf.segment, rf.stage, rf.orders_total,"
        " rf.spend_total, rf.member_id AS has_rfm,"
        f" (SELECT {tags} FROM member_tag t WHERE t.member_id = m.id) AS tags,"
        " EXISTS (SELECT 1 FROM play p WHERE p.member_id = m.id) AS played"
        f" FROM member m LEFT JOIN member_rfm rf ON rf.member_id = m.id WHERE {where})"
        " SELECT me.*, v.code AS v_code, v.title AS v_title, v.kind AS v_kind,"
        " v.value AS v_value, v.min_order AS v_min_order, v.source AS v_source,"
        " v.issued_at AS v_issued_at, v.expires_at AS v_expires_at,"
        " v.redeemed_at AS v_redeemed_at"
        " FROM me LEFT JOIN voucher v ON v.member_id = me.id"
        " ORDER BY v.issued_at DESC, v.id DESC"
    )


def _when(value: Any) -> Any:
    """SQLite hands timestamps back as text; PostgreSQL as datetimes already."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def card(key: str) -> MemberCard:
    """The admin look-up by member code or phone (`84…`, `0…`, `+84…`): one round trip."""
    from loyalty import rawsql

    by = "phone" if is_phone_like(key) else "code"
    value = normalize_phone(key) if by == "phone" else codes.normalize(key)
    rows = await rawsql.fetch(_card_sql(by, rawsql.is_postgres()), value)
    if not rows:
        raise MemberNotFound(
            "no member with this phone" if by == "phone" else f"no member with code {key!r}"
        )
    first = rows[0]
    rfm = None
    if first["has_rfm"] is not None:
        rfm = {
            "r": first["r"], "f": first["f"], "m": first["rfm_m"], "segment": first["segment"],
            "stage": first["stage"], "orders_total": first["orders_total"],
            "spend_total": first["spend_total"],
        }  # fmt: skip
    found_tags = sorted(str(first["tags"]).split(",")) if first["tags"] else []
    return MemberCard(
        id=int(first["id"]),
        member_code=str(first["member_code"]),
        name=first["name"],
        phone=first["phone"],
        tier=str(first["tier"] or ""),
        points_earned=int(first["points_earned"]),
        points_balance=int(first["points_balance"]),
        marketing_opt_in=bool(first["marketing_opt_in"]),
        created_at=_when(first["created_at"]),
        source=first["source"],
        birthday=_day(first["birthday"]),
        rfm=rfm,
        tags=found_tags,
        has_played=bool(first["played"]),
        vouchers=[
            CardVoucher(
                code=str(r["v_code"]),
                title=str(r["v_title"]),
                kind=str(r["v_kind"]),
                value=int(r["v_value"]),
                min_order=int(r["v_min_order"]),
                source=str(r["v_source"]),
                issued_at=_when(r["v_issued_at"]),
                expires_at=_when(r["v_expires_at"]),
                redeemed_at=_when(r["v_redeemed_at"]),
            )
            for r in rows
            if r["v_code"] is not None
        ],
    )
