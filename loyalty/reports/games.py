"""One game campaign in numbers: plays, players, wins and redemptions per prize, stock left,
and the orders its players placed within 30 days of their first play of it."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from games.config import Game
from loyalty.rawsql import fetch, is_postgres
from loyalty.reports.cohorts import REPORT_WORK_MEM
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


# One pass over the game's plays (plays, players, each player's first play), then the paid
# orders inside the campaign's window only (its first first-play to its last one + 30 days:
# a campaign lasts weeks, the order history years) joined to the players.
PLAYERS_AND_AFTER = (
    "WITH p AS (SELECT member_id, COUNT(*) AS n, MIN(created_at) AS first_play FROM play"
    " WHERE game_id = ? AND status = 'done' GROUP BY member_id),"
    " w AS (SELECT MIN(first_play) AS lo, MAX(first_play) AS hi FROM p),"
    " a AS (SELECT COUNT(*) AS orders, COUNT(DISTINCT o.member_id) AS buyers,"
    " COALESCE(SUM(o.amount), 0) AS revenue FROM w CROSS JOIN p JOIN pos_order o"
    " ON o.member_id = p.member_id WHERE o.status = 'paid'"
    " AND {window} AND {each})"
    " SELECT (SELECT COALESCE(SUM(n), 0) FROM p) AS plays, (SELECT COUNT(*) FROM p) AS players,"
    " a.orders AS orders, a.buyers AS buyers, a.revenue AS revenue FROM a"
)


async def game_report(game: Game) -> GameReport:
    sql = PLAYERS_AND_AFTER.format(
        window=within_days("o.paid_at", "w.lo", AFTER_DAYS, last="w.hi"),
        each=within_days("o.paid_at", "p.first_play", AFTER_DAYS),
    )
    async with in_transaction():
        if is_postgres():  # 200,000 players' first plays hash in memory, not on disk
            await fetch(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        totals = await fetch(sql, game.id)
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
    t = a = totals[0]
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
