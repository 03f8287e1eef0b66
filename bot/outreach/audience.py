"""The segments a broadcast can target, as SQL over live members.

`all`: every member (not merged into another, not erased); `has_phone`: those with a phone;
`no_order_yet`: those without an order, all three computed now. The RFM segments and the
content file's own are their stored membership rows (`segment_member`, as of the last
refresh: `python -m bot segments refresh`, or the schedule).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from loyalty import rawsql

_LIVE = "m.merged_into_id IS NULL AND m.erased_at IS NULL"
BUILT_IN: dict[str, str] = {
    "all": _LIVE,
    "has_phone": f"{_LIVE} AND m.phone IS NOT NULL",
    "no_order_yet": f"{_LIVE} AND NOT EXISTS (SELECT 1 FROM pos_order o WHERE o.member_id = m.id)",
}


_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class UnknownSegment(ValueError):
    pass


def check(segment: str, known: Collection[str]) -> None:
    """`UnknownSegment` unless `segment` is built in or one of `known` (the RFM segments
    and the content file's)."""
    if segment not in BUILT_IN and segment not in known:
        names = ", ".join([*BUILT_IN, *sorted(set(known) - set(BUILT_IN))])
        raise UnknownSegment(f"unknown segment {segment!r}: use one of {names}")


def where(segment: str) -> str:
    """The member filter of `segment` (alias `m`)."""
    if segment in BUILT_IN:
        return BUILT_IN[segment]
    if not _SLUG.fullmatch(segment):
        raise UnknownSegment(f"unknown segment {segment!r}")
    return (
        f"{_LIVE} AND EXISTS (SELECT 1 FROM segment_member s"
        f" WHERE s.member_id = m.id AND s.segment_id = '{segment}')"
    )


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
