"""Reading segments: the list with sizes, a page of members (keyset cursor), a member's RFM.

Pages are ordered by member id and continue after the last id given, so a page is stable
while members join or leave the segment between requests, and deep pages stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections

from loyalty.models import SegmentInfo, SegmentMember
from loyalty.segments.refresh import dialect_of, segment_ids
from loyalty.segments.rules import SegmentSpec


@dataclass(frozen=True, slots=True)
class SegmentSummary:
    id: str
    name: str
    members: int
    refreshed_at: datetime | None


@dataclass(frozen=True, slots=True)
class SegmentRow:
    member_id: int
    member_code: str
    name: str | None
    phone: str | None
    tier: str
    r: int | None
    f: int | None
    m: int | None
    segment: str | None


def exists(spec: SegmentSpec, segment_id: str) -> bool:
    return segment_id in segment_ids(spec)


async def list_segments(spec: SegmentSpec) -> list[SegmentSummary]:
    """Every built-in and custom segment; one never refreshed yet has 0 members and no date."""
    infos = {i.segment_id: i for i in await SegmentInfo.all()}
    names = spec.names()
    out: list[SegmentSummary] = []
    for sid in segment_ids(spec):
        info = infos.get(sid)
        out.append(
            SegmentSummary(
                id=sid,
                name=names.get(sid, sid),
                members=info.members if info else 0,
                refreshed_at=info.refreshed_at if info else None,
            )
        )
    return out


async def members_page(segment_id: str, *, after: int = 0, limit: int = 50) -> list[SegmentRow]:
    """Up to `limit` live members of the segment with an id above `after`, by id."""
    conn = connections.get("default")
    pg = dialect_of(conn).pg
    marks = ("$1", "$2", "$3") if pg else ("?1", "?2", "?3")
    rows = await conn.execute_query_dict(
        "SELECT m.id, m.member_code, m.name, m.phone, m.tier, rf.r, rf.f, rf.m, rf.segment"
        " FROM segment_member sm JOIN member m ON m.id = sm.member_id"
        " LEFT JOIN member_rfm rf ON rf.member_id = m.id"
        f" WHERE sm.segment_id = {marks[0]} AND sm.member_id > {marks[1]}"
        " AND m.merged_into_id IS NULL"
        f" ORDER BY sm.member_id LIMIT {marks[2]}",
        [segment_id, after, limit],
    )
    return [_row(r) for r in rows]


def _row(r: dict[str, Any]) -> SegmentRow:
    return SegmentRow(
        member_id=int(r["id"]),
        member_code=str(r["member_code"]),
        name=r["name"],
        phone=r["phone"],
        tier=str(r["tier"] or ""),
        r=r["r"],
        f=r["f"],
        m=r["m"],
        segment=r["segment"],
    )


async def segments_of(member_id: int) -> list[str]:
    """The ids of the stored segments the member was in at their last refresh (index
    `segment_member (member_id)`)."""
    rows = await SegmentMember.filter(member_id=member_id).order_by("segment_id")
    return [str(r.segment_id) for r in rows]
