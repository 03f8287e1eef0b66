"""Campaigns → Segments: built-in and custom segments with their sizes, a segment's members a
page at a time, and the whole segment as a CSV download.

Reads through `loyalty.segments.read`, the functions `GET /api/v1/admin/segments…` uses; the
stored rows are those of the last refresh (the schedule, `python -m bot segments refresh`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot.appkeys import CONTENT
from bot.console.guard import page
from bot.console.ui import not_found, send_csv, show
from loyalty.segments import read
from loyalty.segments.builtin import BUILTIN_NAMES
from miniapp_api import audit
from miniapp_api.auth import actor_of

PAGE_SIZE = 50
CSV_BATCH = 2000
CSV_HEADER = (
    "Mã thành viên",
    "Họ tên",
    "Số điện thoại",
    "Hạng",
    "R",
    "F",
    "M",
    "Nhóm RFM",
)


@page("manager")
async def segments_page(request: web.Request) -> web.StreamResponse:
    content = request.app[CONTENT].current
    items = await read.list_segments(content.segment_spec())
    custom = {s.id for s in content.segments}
    return show(
        request,
        "segments.html",
        title="Phân khúc",
        items=items,
        custom=custom,
    )


def _segment_id(request: web.Request) -> str:
    segment_id = request.match_info["id"]
    if not read.exists(request.app[CONTENT].current.segment_spec(), segment_id):
        raise not_found(request, "Không có phân khúc này.")
    return segment_id


def _first_tier(request: web.Request) -> str:
    return request.app[CONTENT].current.loyalty.tiers[0].name


@page("manager")
async def segment_members(request: web.Request) -> web.StreamResponse:
    segment_id = _segment_id(request)
    raw = request.query.get("after", "0")
    after = int(raw) if raw.isdigit() else 0
    rows = await read.members_page(segment_id, after=after, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    summary = next(
        s
        for s in await read.list_segments(request.app[CONTENT].current.segment_spec())
        if s.id == segment_id
    )
    return show(
        request,
        "segment.html",
        title=summary.name,
        segment=summary,
        rows=rows,
        first_tier=_first_tier(request),
        rfm_names=BUILTIN_NAMES,
        next_after=rows[-1].member_id if more and rows else None,
        paged=after > 0,
    )


async def _csv_rows(segment_id: str, first_tier: str) -> AsyncIterator[list[Any]]:
    after = 0
    while True:
        rows = await read.members_page(segment_id, after=after, limit=CSV_BATCH)
        for r in rows:
            yield [
                r.member_code,
                r.name or "",
                r.phone or "",
                r.tier or first_tier,
                "" if r.r is None else r.r,
                "" if r.f is None else r.f,
                "" if r.m is None else r.m,
                BUILTIN_NAMES.get(r.segment or "", r.segment or ""),
            ]
        if len(rows) < CSV_BATCH:
            return
        after = rows[-1].member_id


@page("manager")
async def segment_csv(request: web.Request) -> web.StreamResponse:
    """Personal data in bulk: the download is recorded in the audit log like a write."""
    segment_id = _segment_id(request)
    await audit.record(
        actor_of(request),
        "GET /admin/campaigns/segments/{id}/members.csv",
        target=f"segment={segment_id}",
        status=200,
        source="console",
    )
    return await send_csv(
        request,
        f"phan-khuc-{segment_id}.csv",
        CSV_HEADER,
        _csv_rows(segment_id, _first_tier(request)),
    )
