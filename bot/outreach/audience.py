"""The built-in segments a broadcast can target, as SQL over live members.

`all`: every member (not merged into another, not erased); `has_phone`: those with a phone;
`no_order_yet`: those without an order. The RFM and custom segments come with the customer
data work; until then their ids are refused with a clear error.
"""

from __future__ import annotations

from loyalty import rawsql

_LIVE = "m.merged_into_id IS NULL AND m.erased_at IS NULL"
BUILT_IN: dict[str, str] = {
    "all": _LIVE,
    "has_phone": f"{_LIVE} AND m.phone IS NOT NULL",
    "no_order_yet": f"{_LIVE} AND NOT EXISTS (SELECT 1 FROM pos_order o WHERE o.member_id = m.id)",
}


class UnknownSegment(ValueError):
    pass


def where(segment: str) -> str:
    """The member filter of `segment` (alias `m`)."""
    try:
        return BUILT_IN[segment]
    except KeyError:
        raise UnknownSegment(
            f"unknown segment {segment!r}: use one of {', '.join(BUILT_IN)}"
        ) from None


async def count(segment: str) -> int:
    rows = await rawsql.fetch(f"SELECT COUNT(*) AS n FROM member m WHERE {where(segment)}")
    return int(rows[0]["n"])


async def member_ids(segment: str) -> list[int]:
    rows = await rawsql.fetch(f"SELECT m.id FROM member m WHERE {where(segment)} ORDER BY m.id")
    return [int(r["id"]) for r in rows]


async def freeze(broadcast_id: int, segment: str, purpose: str) -> int:
    """One pending recipient row per member of the segment, in one statement."""
    return await rawsql.execute(
        "INSERT INTO broadcast_recipient (broadcast_id, member_id, status, purpose) "
        f"SELECT ?, m.id, 'pending', ? FROM member m WHERE {where(segment)}",
        broadcast_id,
        purpose,
    )
