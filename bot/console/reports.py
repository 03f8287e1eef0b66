"""Reports: the cohort heat map, the RFM grid, each game with its promotion ledger and the
registration warning, and members by source; each page has its CSV download.

Pages over the services the report routes call (`loyalty.reports.*`,
`loyalty.promotions.ledger`); nothing is computed here but the shading and the totals of
what the services return.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.appkeys import CONTENT
from bot.console.guard import page
from bot.console.heat import level, percent
from bot.console.ui import not_found, send_csv, show
from games.config import Game
from loyalty.models import MEMBER_SOURCES
from loyalty.promotions.ledger import Ledger, ledger
from loyalty.reports.cohorts import By, CohortRow, cohorts
from loyalty.reports.games import game_report
from loyalty.reports.rfm import rfm_grid

SOURCE_MAX = 64


async def _rows(items: list[list[Any]]) -> AsyncIterator[list[Any]]:
    for item in items:
        yield item


def _by(request: web.Request) -> By:
    return "joined" if request.query.get("by") == "joined" else "first_order"


def _source(request: web.Request) -> str | None:
    raw = request.query.get("source", "").strip()[:SOURCE_MAX]
    return raw or None


@page("manager")
async def index(request: web.Request) -> web.StreamResponse:
    games = request.app[CONTENT].current.games
    return show(request, "reports.html", title="Báo cáo", games=games)


# --- cohorts ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HeatCell:
    offset: int
    active: int
    orders: int
    revenue: int
    percent: int
    level: int


def heat_rows(rows: list[CohortRow]) -> list[tuple[CohortRow, list[HeatCell]]]:
    """Each cohort's months as the share of its members active, shaded against 100 %."""
    out = []
    for row in rows:
        cells = [
            HeatCell(
                m.offset,
                m.active,
                m.orders,
                m.revenue,
                percent(m.active, row.members),
                level(m.active, row.members),
            )
            for m in row.months
        ]
        out.append((row, cells))
    return out


@page("manager")
async def cohorts_page(request: web.Request) -> web.StreamResponse:
    by, source = _by(request), _source(request)
    rows = await cohorts(by, source=source)
    width = max((len(r.months) for r in rows), default=0)
    return show(
        request,
        "report_cohorts.html",
        title="Nhóm khách theo tháng",
        by=by,
        source=source or "",
        sources=MEMBER_SOURCES,
        rows=heat_rows(rows),
        width=width,
    )


COHORT_HEADER = (
    "Nhóm (tháng)",
    "Số thành viên",
    "Tháng thứ",
    "Khách hoạt động",
    "Tỷ lệ hoạt động (%)",
    "Đơn hàng",
    "Doanh thu (đồng)",
)


@page("manager")
async def cohorts_csv(request: web.Request) -> web.StreamResponse:
    by, source = _by(request), _source(request)
    rows = await cohorts(by, source=source)
    items = [
        [
            r.cohort,
            r.members,
            m.offset,
            m.active,
            percent(m.active, r.members),
            m.orders,
            m.revenue,
        ]
        for r in rows
        for m in r.months
    ]
    name = f"nhom-khach-{by}" + (f"-{source.replace(':', '-')}" if source else "") + ".csv"
    return await send_csv(request, name, COHORT_HEADER, _rows(items))


# --- RFM ----------------------------------------------------------------------------------
@page("manager")
async def rfm_page(request: web.Request) -> web.StreamResponse:
    grid = await rfm_grid()
    top = max((c.members for c in grid.cells), default=0)
    cells = {(c.r, c.f): (c, level(c.members, top)) for c in grid.cells}
    return show(
        request,
        "report_rfm.html",
        title="Lưới RFM",
        cells=cells,
        refreshed_at=grid.refreshed_at,
        total=sum(c.members for c in grid.cells),
        revenue=sum(c.revenue for c in grid.cells),
    )


@page("manager")
async def rfm_csv(request: web.Request) -> web.StreamResponse:
    grid = await rfm_grid()
    items = [[c.r, c.f, c.members, c.revenue] for c in grid.cells]
    header = ("R (gần đây)", "F (tần suất)", "Thành viên", "Doanh thu trong cửa sổ RFM (đồng)")
    return await send_csv(request, "luoi-rfm.csv", header, _rows(items))


# --- games and their promotion ledgers ------------------------------------------------------
def _game(request: web.Request) -> Game:
    game = request.app[CONTENT].current.game(request.match_info["game_id"])
    if game is None:
        raise not_found(request, "Không có trò chơi này trong tệp nội dung.")
    return game


async def _ledger(request: web.Request, game: Game) -> Ledger:
    threshold = request.app[CONTENT].current.promotions.registration_threshold
    return await ledger(game, now=datetime.now(UTC), threshold=threshold)


@page("manager")
async def game_page(request: web.Request) -> web.StreamResponse:
    game = _game(request)
    report = await game_report(game)
    book = await _ledger(request, game)
    lines = {line.id: line for line in book.prizes}
    return show(
        request,
        "report_game.html",
        title=game.title,
        game=game,
        report=report,
        ledger=book,
        lines=lines,
    )


GAME_HEADER = (
    "Mã quà",
    "Tên quà",
    "Lượt trúng",
    "Voucher đã dùng",
    "Còn trong kho",
    "Giá trị một quà (đồng)",
    "Số quà công bố",
    "Đã trao",
    "Chưa trao",
)


@page("manager")
async def game_csv(request: web.Request) -> web.StreamResponse:
    game = _game(request)
    report = await game_report(game)
    lines = {line.id: line for line in (await _ledger(request, game)).prizes}
    items = []
    for p in report.prizes:
        line = lines.get(p.id)
        items.append(
            [
                p.id,
                p.label,
                p.wins,
                p.vouchers_redeemed,
                "" if p.stock_left is None else p.stock_left,
                line.unit_value if line else "",
                line.announced if line else "",
                line.awarded if line else "",
                line.unawarded if line else "",
            ]
        )
    return await send_csv(request, f"tro-choi-{game.id}.csv", GAME_HEADER, _rows(items))


# --- sources --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SourceLine:
    source: str
    members: int
    orders: int
    revenue: int
    level: int


async def source_lines() -> list[SourceLine]:
    """Per way of coming: members (the joining cohorts' sizes), their orders and revenue
    since joining: the totals of the cohort report filtered by that source."""
    found = []
    for source in MEMBER_SOURCES:
        rows = await cohorts("joined", source=source)
        found.append(
            (
                source,
                sum(r.members for r in rows),
                sum(m.orders for r in rows for m in r.months),
                sum(m.revenue for r in rows for m in r.months),
            )
        )
    top = max((f[1] for f in found), default=0)
    return [SourceLine(s, n, o, v, level(n, top)) for s, n, o, v in found]


@page("manager")
async def sources_page(request: web.Request) -> web.StreamResponse:
    lines = await source_lines()
    return show(request, "report_sources.html", title="Nguồn khách", lines=lines)


@page("manager")
async def sources_csv(request: web.Request) -> web.StreamResponse:
    items = [[x.source, x.members, x.orders, x.revenue] for x in await source_lines()]
    header = ("Nguồn", "Thành viên", "Đơn hàng từ khi tham gia", "Doanh thu (đồng)")
    return await send_csv(request, "nguon-khach.csv", header, _rows(items))
