"""Everything the loyalty tables hold about one person, as JSON-ready data.

Members merged into this one are part of the person: their rows moved to the survivor at the
merge, and their member codes are listed. The profile is every column of the member row, so a
field added later (birthday, source, ...) is exported without touching this module.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from loyalty import consent
from loyalty.models import Member, MemberIdentity, Order, Play, PointsEntry, Voucher

_INTERNAL = frozenset({"merged_into"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def profile_of(member: Member) -> dict[str, Any]:
    """The member row's own columns (foreign keys and internals left out)."""
    out: dict[str, Any] = {}
    for name in member._meta.db_fields:
        if name.endswith("_id") and name[:-3] in member._meta.fk_fields:
            continue
        if name in _INTERNAL or name == "id":
            continue
        out[name] = _jsonable(getattr(member, name))
    return out


async def export_member(member: Member) -> dict[str, Any]:
    """Profile, identities, consents, orders, points ledger, vouchers and plays."""
    family = await consent.family_ids(member.id)
    merged_codes = await Member.filter(id__in=family[1:]).values_list("member_code", flat=True)
    identities = await MemberIdentity.filter(member_id__in=family).order_by("id")
    orders = await Order.filter(member_id__in=family).order_by("paid_at", "id")
    entries = await PointsEntry.filter(member_id__in=family).order_by("created_at", "id")
    vouchers = await Voucher.filter(member_id__in=family).order_by("issued_at", "id")
    plays = await Play.filter(member_id__in=family).order_by("created_at", "id")
    return {
        "profile": profile_of(member),
        "merged_member_codes": sorted(merged_codes),
        "identities": [
            {"kind": i.kind, "value": i.value, "created_at": _jsonable(i.created_at)}
            for i in identities
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "granted": c.granted,
                "channel": c.channel,
                "method": c.method,
                "text": c.text,
                "text_version": c.text_version,
                "recorded_by": c.recorded_by,
                "at": _jsonable(c.created_at),
            }
            for c in await consent.history(member)
        ],
        "orders": [
            {
                "order_id": o.order_id,
                "amount": o.amount,
                "paid_at": _jsonable(o.paid_at),
                "points": o.points,
                "status": o.status,
                "points_reversed": o.points_reversed,
                "refunded_at": _jsonable(o.refunded_at),
            }
            for o in orders
        ],
        "points": [
            {
                "kind": e.kind,
                "amount": e.amount,
                "balance_after": e.balance_after,
                "reason": e.reason,
                "ref": e.ref,
                "at": _jsonable(e.created_at),
            }
            for e in entries
        ],
        "vouchers": [
            {
                "code": v.code,
                "title": v.title,
                "kind": v.kind,
                "value": v.value,
                "source": v.source,
                "issued_at": _jsonable(v.issued_at),
                "expires_at": _jsonable(v.expires_at),
                "redeemed_at": _jsonable(v.redeemed_at),
            }
            for v in vouchers
        ],
        "plays": [
            {
                "game_id": p.game_id,
                "status": p.status,
                "prize_id": p.prize_id,
                "is_win": p.is_win,
                "at": _jsonable(p.created_at),
            }
            for p in plays
        ],
    }
