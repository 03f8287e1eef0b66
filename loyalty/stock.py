"""Prize stock: synced from the content file, claimed one unit at a time without over-allocation.

A claim is two conditional UPDATEs in the play's transaction: the day's counter
(`awarded < daily_cap`) and one shard of the stock (`remaining > 0`). Each changes one row or
none, so no interleaving of plays can award more than the stock or the cap, and
CHECK(remaining >= 0) on every shard backs that up in the database.

The stock is split over `PRIZE_STOCK_SHARDS` rows because a claimed row stays locked until
the play commits: with one row, every winner of a prize waits for the previous winner's
commit (see `rawsql.take_stock_unit`). `awarded` counts units ever given, which is what a
stock change in the content file is measured against (and what the promotion report needs).
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
    """Create a missing prize's first shard with the whole stock; `sync_prize_stock` spreads
    it over more shards. Existing rows are left alone."""
    rows = [
        PrizeStock(game_id=game.id, prize_id=p.id, stock_total=p.stock, remaining=p.stock)
        for p in stocked(game)
    ]
    if rows:
        await PrizeStock.bulk_create(rows, ignore_conflicts=True)


def split(units: int, shards: int) -> list[int]:
    """`units` spread as evenly as possible over `shards` rows (the first ones get the rest)."""
    base, extra = divmod(units, shards)
    return [base + (1 if i < extra else 0) for i in range(shards)]


def shards_for(stock: int, shards: int) -> int:
    """How many shard rows a prize of `stock` units gets: never more shards than units."""
    return max(1, min(shards, stock))


async def sync_prize_stock(games: Iterable[Game], *, shards: int = 1) -> list[StockRow]:
    """Apply the content file's `stock:` values and spread each prize over `shards` rows.

    A new prize starts with remaining = stock. A changed stock sets
    remaining = new stock - units already awarded, never below 0. Run on start and on every
    content reload (`PRIZE_STOCK_SHARDS`). Shards are only ever added (they hold the awarded
    counts); the remaining units are spread evenly again whenever the shards have drifted
    apart by more than one. Returns the prizes whose stock changed.
    """
    changed: list[StockRow] = []
    for game in games:
        await ensure_rows(game)
        for prize in stocked(game):
            assert prize.stock is not None
            row = await _sync_prize(game.id, prize.id, prize.stock, shards)
            if row is not None:
                changed.append(row)
    return changed


async def _sync_prize(game_id: str, prize_id: str, stock: int, shards: int) -> StockRow | None:
    async with in_transaction():
        rows = await _locked_shards(game_id, prize_id)
        wanted = shards_for(stock, shards)
        if len(rows) < wanted:  # new shards start empty, then get their share below
            have = {r.shard for r in rows}
            await PrizeStock.bulk_create(
                [
                    PrizeStock(
                        game_id=game_id,
                        prize_id=prize_id,
                        shard=i,
                        stock_total=rows[0].stock_total,
                        remaining=0,
                        awarded=0,
                    )
                    for i in range(wanted)
                    if i not in have
                ],
                ignore_conflicts=True,
            )
            rows = await _locked_shards(game_id, prize_id)
        awarded = sum(r.awarded for r in rows)
        remaining = sum(r.remaining for r in rows)
        stock_changed = any(r.stock_total != stock for r in rows)
        if stock_changed:
            remaining = max(0, stock - awarded)
        shares = split(remaining, len(rows))
        uneven = max(r.remaining for r in rows) - min(r.remaining for r in rows) > 1
        if stock_changed or uneven:
            for r, share in zip(rows, shares, strict=True):
                if r.remaining != share or r.stock_total != stock:
                    await PrizeStock.filter(id=r.id).update(stock_total=stock, remaining=share)
    return StockRow(game_id, prize_id, stock, remaining, awarded) if stock_changed else None


async def _locked_shards(game_id: str, prize_id: str) -> list[PrizeStock]:
    """Every shard row of a prize, locked in shard order (the same order everywhere)."""
    return (
        await PrizeStock.filter(game_id=game_id, prize_id=prize_id)
        .order_by("shard")
        .select_for_update()
    )


async def totals(game_id: str, prize_id: str) -> StockRow | None:
    """A prize's stock summed over its shards (None: no rows yet)."""
    rows = await PrizeStock.filter(game_id=game_id, prize_id=prize_id)
    if not rows:
        return None
    return StockRow(
        game_id,
        prize_id,
        rows[0].stock_total,
        sum(r.remaining for r in rows),
        sum(r.awarded for r in rows),
    )


async def snapshot(
    game: Game, day: date, rows: dict[str, tuple[int, int]] | None = None
) -> dict[str, dict[str, Any]]:
    """What is claimable right now, per stocked prize (also written to the draw log).

    `rows` = `rawsql.stock_snapshot`'s answer if the caller already read it. Stock rows
    missing for this game (content not synced yet) are created first.
    """
    if rows is None:
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
    out = []
    for prize in stocked(game):
        row = await totals(game.id, prize.id)
        stock = prize.stock or 0
        out.append(row or StockRow(game.id, prize.id, stock, stock, 0))
    return out
