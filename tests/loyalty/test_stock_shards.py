"""Prize stock split over shard rows: the sums stay exact, and winners never over-allocate."""

from __future__ import annotations

import asyncio
import random

import pytest
from tortoise.transactions import in_transaction

from games.config import Game
from loyalty import plays
from loyalty.models import Award, PrizeStock
from loyalty.rawsql import take_stock_unit
from loyalty.stock import report, shards_for, split, sync_prize_stock, totals
from tests.loyalty.conftest import make_game, new_member, vn

NOW = vn(2025, 3, 1, 10)


class RolledBack(Exception):
    """Raised to leave a transaction by rolling it back."""


def with_stock(stock: int) -> Game:
    game = make_game()
    return make_game(prizes=[{**game.prizes[0].model_dump(), "stock": stock}, game.prizes[1]])


async def shard_rows(prize_id: str = "v50k") -> list[tuple[int, int, int, int]]:
    rows = await PrizeStock.filter(game_id="wheel", prize_id=prize_id).order_by("shard")
    return [(r.shard, r.stock_total, r.remaining, r.awarded) for r in rows]


def test_split_and_shard_count() -> None:
    assert split(10, 4) == [3, 3, 2, 2]
    assert split(3, 3) == [1, 1, 1]
    assert split(0, 2) == [0, 0]
    assert shards_for(3, 8) == 3  # never a shard without a unit to start with
    assert shards_for(0, 8) == 1
    assert shards_for(100, 8) == 8


async def test_sync_spreads_a_new_prize_over_the_shards(db: str) -> None:
    assert await sync_prize_stock([with_stock(10)], shards=4) == []  # new: not a "change"
    assert await shard_rows() == [(0, 10, 3, 0), (1, 10, 3, 0), (2, 10, 2, 0), (3, 10, 2, 0)]
    small = make_game(
        id="small", prizes=[{**with_stock(2).prizes[0].model_dump()}, make_game().prizes[1]]
    )
    await sync_prize_stock([small], shards=8)
    assert await PrizeStock.filter(game_id="small").count() == 2


async def test_more_shards_later_keeps_the_counts(db: str) -> None:
    game = with_stock(10)
    await sync_prize_stock([game], shards=1)
    member = await new_member()
    await plays.play(member, game, idempotency_key="a", rng=random.Random(1), now=NOW)
    assert await shard_rows() == [(0, 10, 9, 1)]
    assert await sync_prize_stock([game], shards=3) == []  # same stock: nothing reported
    assert await shard_rows() == [(0, 10, 3, 1), (1, 10, 3, 0), (2, 10, 3, 0)]
    row = await totals("wheel", "v50k")
    assert row is not None and (row.stock_total, row.remaining, row.awarded) == (10, 9, 1)


async def test_stock_change_is_measured_against_units_awarded_on_every_shard(db: str) -> None:
    game = with_stock(8)
    await sync_prize_stock([game], shards=4)
    for i in range(3):
        member = await new_member(i)
        await plays.play(member, game, idempotency_key=f"k{i}", rng=random.Random(i), now=NOW)
    (row,) = await sync_prize_stock([with_stock(12)], shards=4)
    assert (row.stock_total, row.remaining, row.awarded) == (12, 9, 3)
    rows = await shard_rows()
    assert [r[1] for r in rows] == [12] * 4  # the announced stock, on every shard
    assert sum(r[2] for r in rows) == 9 and max(r[2] for r in rows) - min(r[2] for r in rows) <= 1
    assert sum(r[3] for r in rows) == 3
    (row,) = await sync_prize_stock([with_stock(2)], shards=4)
    assert (row.stock_total, row.remaining, row.awarded) == (2, 0, 3)
    assert [r.remaining for r in await report(with_stock(2))] == [0]


async def test_a_claim_takes_from_another_shard_when_one_is_empty(db: str) -> None:
    await sync_prize_stock([with_stock(4)], shards=4)
    await PrizeStock.filter(game_id="wheel", prize_id="v50k", shard__in=[0, 1, 2]).update(
        remaining=0
    )
    async with in_transaction():
        assert await take_stock_unit("wheel", "v50k")
        assert not await take_stock_unit("wheel", "v50k")  # none left anywhere
    assert [r[2:] for r in await shard_rows()] == [(0, 0), (0, 0), (0, 0), (0, 1)]


@pytest.mark.parametrize("stock,players", [(50, 200), (7, 60)])
async def test_concurrent_winners_on_sharded_stock_get_exactly_the_stock(
    db: str, stock: int, players: int
) -> None:
    game = with_stock(stock)
    await sync_prize_stock([game], shards=8)
    members = [await new_member(i) for i in range(players)]
    results = await asyncio.gather(
        *(
            plays.play(m, game, idempotency_key=f"k{m.id}", rng=random.Random(m.id), now=NOW)
            for m in members
        )
    )
    assert sum(r.is_win for r in results) == stock
    assert await Award.filter(game_id="wheel").count() == stock
    rows = await shard_rows()
    assert all(r[2] == 0 for r in rows)  # every unit went out: none stranded on a shard
    assert sum(r[3] for r in rows) == stock


async def test_a_claim_waits_for_a_locked_last_unit_instead_of_giving_up(
    db: str, is_postgres: bool
) -> None:
    """The last unit is held by a play in flight: the next claim waits for its outcome, and
    gets the unit if that play rolls back, none if it commits (PostgreSQL row locks)."""
    if not is_postgres:
        pytest.skip("SQLite has one writer: a second claim cannot start while one is open")
    await sync_prize_stock([with_stock(2)], shards=2)
    await PrizeStock.filter(game_id="wheel", prize_id="v50k", shard=0).update(remaining=0)

    assert await _claim_while_another_play_holds_the_last_unit("rollback") is True
    await PrizeStock.filter(game_id="wheel", prize_id="v50k", shard=1).update(
        remaining=1, awarded=0
    )
    assert await _claim_while_another_play_holds_the_last_unit("commit") is False


async def _claim_while_another_play_holds_the_last_unit(outcome: str) -> bool:
    holding = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        try:
            async with in_transaction() as tx:  # this task's own transaction
                changed, _ = await tx.execute_query(
                    "UPDATE prize_stock SET remaining = remaining - 1, awarded = awarded + 1"
                    " WHERE game_id = 'wheel' AND prize_id = 'v50k' AND shard = 1"
                )
                assert changed == 1
                holding.set()
                await release.wait()
                if outcome == "rollback":
                    raise RolledBack
        except RolledBack:
            pass

    async def claimer() -> bool:
        await holding.wait()
        async with in_transaction():
            return await take_stock_unit("wheel", "v50k")

    held = asyncio.create_task(holder())
    claim = asyncio.create_task(claimer())
    await holding.wait()
    await asyncio.sleep(0.2)
    assert not claim.done()  # waiting on the row lock, not "out of stock"
    release.set()
    await held
    return await claim
