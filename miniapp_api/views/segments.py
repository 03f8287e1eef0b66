"""Admin segment routes: the list with sizes, a page of members, the whole segment as CSV.

Segments are computed by `loyalty.segments` (on the schedule, by `python -m bot segments
refresh`, and for one member after each order); these routes only read the stored rows.
"""

from __future__ import annotations

import csv
import io

from aiohttp import web

from bot.web.problems import ApiError
from loyalty.config import LoyaltyConfig
from loyalty.segments import read
from loyalty.segments.read import SegmentRow
from miniapp_api import schemas as s
from miniapp_api.calls import Call
from miniapp_api.registry import Reply, api

ADMIN_ERRORS = {401: ("invalid_api_key",), 403: ("admin_disabled",)}
CSV_COLUMNS = ("member_code", "name", "phone", "tier", "r", "f", "m", "segment")
CSV_BATCH = 2000


def _tier_name(config: LoyaltyConfig, tier: str) -> str:
    return tier or config.tiers[0].name  # "" until a member's first tier: the lowest one


def _segment(call: Call) -> str:
    segment_id: str = call.params.segment_id
    if not read.exists(call.content.segment_spec(), segment_id):
        raise ApiError(404, "segment_not_found", f"no segment {segment_id!r}")
    return segment_id


@api.route(
    "GET",
    "/v1/admin/segments",
    summary="Built-in and custom segments with their sizes",
    tag="admin",
    auth="admin",
    responses={200: s.SegmentsOut},
    errors=ADMIN_ERRORS,
)
async def list_segments(call: Call) -> Reply:
    """`members` and `refreshed_at` are those of the last full refresh, kept up to date by
    the refresh after each order. A segment never refreshed has 0 members and no date."""
    items = await read.list_segments(call.content.segment_spec())
    return Reply(
        s.SegmentsOut(
            items=[
                s.SegmentOut(id=i.id, name=i.name, members=i.members, refreshed_at=i.refreshed_at)
                for i in items
            ]
        )
    )


def _member_out(config: LoyaltyConfig, row: SegmentRow) -> s.SegmentMemberOut:
    return s.SegmentMemberOut(
        member_code=row.member_code,
        name=row.name,
        phone=row.phone,
        tier=_tier_name(config, row.tier),
        rfm=s.RfmOut(r=row.r, f=row.f, m=row.m, segment=row.segment),
    )


@api.route(
    "GET",
    "/v1/admin/segments/{segment_id}/members",
    summary="A page of a segment's members",
    tag="admin",
    auth="admin",
    params=s.SegmentPath,
    query=s.SegmentPageQuery,
    responses={200: s.SegmentMembersOut},
    errors={**ADMIN_ERRORS, 400: ("invalid_query",), 404: ("segment_not_found", "not_found")},
)
async def segment_members(call: Call) -> Reply:
    """Ordered by member, stable across pages: pass `next_cursor` back as `?cursor=` until it
    is null."""
    segment_id = _segment(call)
    query: s.SegmentPageQuery = call.query
    after = int(query.cursor) if query.cursor else 0
    rows = await read.members_page(segment_id, after=after, limit=query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    config = call.content.loyalty
    return Reply(
        s.SegmentMembersOut(
            items=[_member_out(config, r) for r in rows],
            next_cursor=str(rows[-1].member_id) if more and rows else None,
        )
    )


@api.route(
    "GET",
    "/v1/admin/segments/{segment_id}/members.csv",
    summary="Every member of a segment as CSV",
    tag="admin",
    auth="admin",
    params=s.SegmentPath,
    raw_response=(
        200,
        "text/csv",
        "UTF-8 with a BOM (Excel opens it with accents intact); columns " + ", ".join(CSV_COLUMNS),
    ),
    errors={**ADMIN_ERRORS, 404: ("segment_not_found", "not_found")},
)
async def segment_members_csv(call: Call) -> web.StreamResponse:
    """Streamed in batches, so a segment of any size is sent with bounded memory."""
    segment_id = _segment(call)
    config = call.content.loyalty
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{segment_id}.csv"',
        }
    )
    await resp.prepare(call.request)
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    after = 0
    while True:
        rows = await read.members_page(segment_id, after=after, limit=CSV_BATCH)
        for r in rows:
            tier = _tier_name(config, r.tier)
            writer.writerow(
                [r.member_code, r.name or "", r.phone or "", tier, r.r, r.f, r.m, r.segment]
            )
        await resp.write(buf.getvalue().encode("utf-8"))
        buf.seek(0)
        buf.truncate()
        if len(rows) < CSV_BATCH:
            break
        after = rows[-1].member_id
    await resp.write_eof()
    return resp
