"""Prize stock: synced from the content file, claimed one unit at a time without over-allocation.

A claim is two conditional UPDATEs in the play's transaction: the day's counter
(`awarded < daily_cap`) and the stock (`remaining > 0`). Each changes one row or none, so no
interleaving of plays can award more than the stock or the cap, and CHECK(remaining >= 0) backs
that up in the database. `awarded` counts units ever given, which is what a stock change in
the content file is measured against (and what the promotion report needs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from games.config import Game, Prize
from loyalty.models import PrizeDailyCount, PrizeStock
from loyalty.rawsql import stock_snapshot, take_stock_unit


@dataclass(frozen=True, slots=True)
class StockRow:
    game_id: str
    prize_id: str
    stock_total: int
    remaining: int
    awarded: int


def stocked(game: Game) -> list[Prize]:
    return [p for p in game.prizes if p.stock is not None]


async def ensure_rows(game: Game) -> None:
    """Create missing stock rows (remaining = stock). Existing rows are left alone."""
    rows = [
        PrizeStock(game_id=game.id, prize_id=p.id, stock_total=p.stock, remaining=p.stock)
        for p in stocked(game)
    ]
    if rows:
        await PrizeStock.bulk_create(rows, ignore_conflicts=True)


async def sync_prize_stock(games: Iterable[Game]) -> list[StockRow]:
    """Apply the content file's `stock:` values.

    A new prize starts with remaining = stock. A changed stock sets
    remaining = new stock - units already awarded, never below 0. Run on start and on every
    content reload. Returns the rows that changed.
    """
    changed: list[StockRow] = []
    for game in games:
        await ensure_rows(game)
        for prize in stocked(game):
            assert prize.stock is not None
            async with in_transaction():
                row = await PrizeStock.select_for_update().get(game_id=game.id, prize_id=prize.id)
                if row.stock_total == prize.stock:
                    continue
                remaining = max(0, prize.stock - row.awarded)
                await PrizeStock.filter(id=row.id).update(
                    stock_total=prize.stock, remaining=remaining
                )
                changed.append(StockRow(game.id, prize.id, prize.stock, remaining, row.awarded))
    return changed


async def snapshot(game: Game, day: date) -> dict[str, dict[str, Any]]:
    """What is claimable right now, per stocked prize (also written to the draw log).

    Stock rows missing for this game (content not synced yet) are created first.
    """
    rows = await stock_snapshot(game.id, day)
    if any(p.id not in rows for p in stocked(game)):
        await ensure_rows(game)
        rows = await stock_snapshot(game.id, day)
    out: dict[str, dict[str, Any]] = {}
    for prize in stocked(game):
        remaining, today = rows.get(prize.id, (0, 0))
        under_cap = prize.daily_cap is None or today < prize.daily_cap
        out[prize.id] = {
            "remaining": remaining,
            "today": today,
            "daily_cap": prize.daily_cap,
            "available": remaining > 0 and under_cap,
        }
    return out


def available_ids(snap: dict[str, dict[str, Any]]) -> set[str]:
    return {prize_id for prize_id, s in snap.items() if s["available"]}


async def claim_locked(game: Game, prize: Prize, day: date) -> bool:
    """Take one unit of `prize` inside the caller's transaction. False = none left."""
    if prize.stock is None:
        return False
    if prize.daily_cap is not None:
        await PrizeDailyCount.bulk_create(
            [PrizeDailyCount(game_id=game.id, prize_id=prize.id, day=day, awarded=0)],
            ignore_conflicts=True,
        )
        counted = await PrizeDailyCount.filter(
            game_id=game.id, prize_id=prize.id, day=day, awarded__lt=prize.daily_cap
        ).update(awarded=F("awarded") + 1)
        if counted != 1:
            return False
    if await take_stock_unit(game.id, prize.id):
        return True
    if prize.daily_cap is not None:  # give the day's slot back: nothing was awarded
        await PrizeDailyCount.filter(game_id=game.id, prize_id=prize.id, day=day).update(
            awarded=F("awarded") - 1
        )
    return False


async def report(game: Game) -> list[StockRow]:
    """Announced vs awarded per prize: the promotion report (unawarded prizes owe 50%)."""
    rows = {r.prize_id: r for r in await PrizeStock.filter(game_id=game.id)}
    out = []
    for prize in stocked(game):
        r = rows.get(prize.id)
        out.append(
            StockRow(
                game.id,
                prize.id,
                prize.stock or 0,
                r.remaining if r else prize.stock or 0,
                r.awarded if r else 0,
            )
        )
    return out
