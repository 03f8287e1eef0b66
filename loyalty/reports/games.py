"""One game campaign in numbers: plays, players, wins and redemptions per prize, stock left,
and the orders its players placed within 30 days of their first play of it."""

from __future__ import annotations

from dataclasses import dataclass

from games.config import Game
from loyalty.rawsql import fetch
from loyalty.reports.dialect import within_days

AFTER_DAYS = 30


@dataclass(frozen=True, slots=True)
class PrizeNumbers:
    id: str
    label: str
    wins: int
    vouchers_redeemed: int
    stock_left: int | None  # None: the no-prize outcome


@dataclass(frozen=True, slots=True)
class GameReport:
    game_id: str
    plays: int
    players: int
    wins: int
    prizes: list[PrizeNumbers]
    vouchers_redeemed: int
    buyers_after: int  # players with a paid order within AFTER_DAYS of their first play
    orders_after: int
    revenue_after: int
    after_days: int = AFTER_DAYS


async def game_report(game: Game) -> GameReport:
    totals = await fetch(
        "SELECT COUNT(*) AS plays, COUNT(DISTINCT member_id) AS players FROM play"
        " WHERE game_id = ? AND status = 'done'",
        game.id,
    )
    prizes = await fetch(
        "SELECT a.prize_id AS prize_id, COUNT(*) AS wins, COUNT(v.redeemed_at) AS redeemed"
        " FROM award a LEFT JOIN voucher v ON v.id = a.voucher_id WHERE a.game_id = ?"
        " GROUP BY a.prize_id",
        game.id,
    )
    stock = await fetch(
        "SELECT prize_id, SUM(remaining) AS n FROM prize_stock WHERE game_id = ?"
        " GROUP BY prize_id",
        game.id,
    )
    after = await fetch(
        "WITH p AS (SELECT member_id, MIN(created_at) AS first_play FROM play"
        " WHERE game_id = ? AND status = 'done' GROUP BY member_id)"
        " SELECT COUNT(*) AS orders, COUNT(DISTINCT o.member_id) AS buyers,"
        " COALESCE(SUM(o.amount), 0) AS revenue FROM p JOIN pos_order o"
        f" ON o.member_id = p.member_id WHERE o.status = 'paid'"
        f" AND {within_days('o.paid_at', 'p.first_play', AFTER_DAYS)}",
        game.id,
    )
    won = {r["prize_id"]: r for r in prizes}
    left = {r["prize_id"]: int(r["n"]) for r in stock}
    lines = []
    for prize in game.prizes:
        r = won.get(prize.id)
        lines.append(
            PrizeNumbers(
                id=prize.id,
                label=prize.label,
                wins=int(r["wins"]) if r else 0,
                vouchers_redeemed=int(r["redeemed"]) if r else 0,
                stock_left=None if prize.is_no_prize else left.get(prize.id, prize.stock or 0),
            )
        )
    t, a = totals[0], after[0]
    return GameReport(
        game_id=game.id,
        plays=int(t["plays"]),
        players=int(t["players"]),
        wins=sum(p.wins for p in lines),
        prizes=lines,
        vouchers_redeemed=sum(p.vouchers_redeemed for p in lines),
        buyers_after=int(a["buyers"]),
        orders_after=int(a["orders"]),
        revenue_after=int(a["revenue"] or 0),
    )
