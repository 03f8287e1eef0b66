"""The prize engine: no over-allocation, idempotent plays, VN-day limits, audit rows."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from loyalty import plays
from loyalty.errors import GameNotActive, NoPlaysLeft, WrongGameType
from loyalty.models import Award, DrawLog, Play, PrizeStock, Voucher
from loyalty.stock import report, sync_prize_stock, totals
from tests.loyalty.conftest import make_game, make_quiz, new_member, vn

NOW = vn(2025, 3, 1, 10)


@pytest.mark.parametrize("shards", [1, 4])
async def test_100_concurrent_plays_award_exactly_the_stock(db: str, shards: int) -> None:
    game = make_game()
    await sync_prize_stock([game], shards=shards)
    players = [await new_member(i) for i in range(100)]
    rng = random.Random(42)
    results = await asyncio.gather(
        *(plays.play(m, game, idempotency_key=f"k{m.id}", rng=rng, now=NOW) for m in players)
    )
    wins = [r for r in results if r.is_win]
    assert len(wins) == 10
    assert all(r.voucher is not None for r in wins)
    assert {r.prize_id for r in results if not r.is_win} == {"none"}
    assert await Award.all().count() == 10
    assert await Voucher.filter(source="prize").count() == 10
    assert await Play.all().count() == 100
    stock = await totals("wheel", "v50k")
    assert stock is not None and (stock.remaining, stock.awarded) == (0, 10)
    rows = await PrizeStock.filter(game_id="wheel", prize_id="v50k")
    assert len(rows) == shards and all(r.remaining == 0 for r in rows)
    assert [r.awarded for r in await report(game)] == [10]


async def test_same_key_twice_is_one_play(db: str) -> None:
    game = make_game(plays_per_day=5)
    member = await new_member()
    first = await plays.play(member, game, idempotency_key="tap-1", rng=random.Random(1), now=NOW)
    again = await plays.play(member, game, idempotency_key="tap-1", rng=random.Random(2), now=NOW)
    assert again.play_id == first.play_id
    assert again.replayed and not first.replayed
    assert (again.prize_id, again.is_win, again.slice_index) == (
        first.prize_id,
        first.is_win,
        first.slice_index,
    )
    assert again.voucher is not None and first.voucher is not None
    assert again.voucher.code == first.voucher.code
    assert await Play.all().count() == 1
    assert await Award.all().count() == 1


async def test_same_key_concurrently_is_one_play(db: str) -> None:
    game = make_game(plays_per_day=5)
    member = await new_member()
    results = await asyncio.gather(
        *(
            plays.play(member, game, idempotency_key="double-tap", rng=random.Random(i), now=NOW)
            for i in range(5)
        )
    )
    assert len({r.play_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert await Play.all().count() == 1
    assert (await totals("wheel", "v50k")).remaining == 9  # type: ignore[union-attr]


async def test_plays_per_day_follow_vietnam_midnight(db: str) -> None:
    game = make_game(plays_per_day=1)
    member = await new_member()
    rng = random.Random(3)
    late = vn(2025, 3, 1, 23, 59)
    await plays.play(member, game, idempotency_key="a", rng=rng, now=late)
    with pytest.raises(NoPlaysLeft) as info:
        await plays.play(
            member, game, idempotency_key="b", rng=rng, now=late + timedelta(seconds=30)
        )
    assert info.value.code == "no_plays_left" and info.value.status == 429
    assert info.value.next_play_at == vn(2025, 3, 2, 0, 0)
    assert await plays.plays_left(member, game, now=late) == 0
    # 00:01 in Vietnam is 17:01 UTC of the previous day: a new VN day all the same.
    early = vn(2025, 3, 2, 0, 1)
    assert early.day == 1
    assert await plays.plays_left(member, game, now=early) == 1
    result = await plays.play(member, game, idempotency_key="c", rng=rng, now=early)
    assert not result.replayed
    days = sorted(str(d) for d in await Play.all().values_list("day", flat=True))
    assert days == ["2025-03-01", "2025-03-02"]


async def test_plays_total_per_person(db: str) -> None:
    game = make_game(plays_per_day=5, plays_total=2)
    member = await new_member()
    rng = random.Random(4)
    await plays.play(member, game, idempotency_key="1", rng=rng, now=NOW)
    await plays.play(member, game, idempotency_key="2", rng=rng, now=NOW)
    with pytest.raises(NoPlaysLeft) as info:
        await plays.play(member, game, idempotency_key="3", rng=rng, now=NOW + timedelta(days=3))
    assert info.value.next_play_at is None


async def test_sold_out_gives_no_prize(db: str) -> None:
    game = make_game(
        plays_per_day=10,
        prizes=[
            {"id": "cup", "label": "Cup", "weight": 1, "stock": 2},
            {"id": "none", "label": "No luck", "weight": 0, "stock": None},
        ],
    )
    member = await new_member()
    rng = random.Random(5)
    results = [
        await plays.play(member, game, idempotency_key=str(i), rng=rng, now=NOW) for i in range(4)
    ]
    assert [r.prize_id for r in results] == ["cup", "cup", "none", "none"]
    assert [r.slice_index for r in results] == [0, 0, 1, 1]
    assert results[0].voucher is None  # a prize without a voucher: an Award only
    assert await Award.filter(prize_id="cup").count() == 2


async def test_daily_cap(db: str) -> None:
    game = make_game(
        plays_per_day=10,
        prizes=[
            {
                "id": "v50k",
                "label": "Voucher",
                "weight": 1,
                "stock": 10,
                "daily_cap": 2,
                "voucher": {"value": 50_000, "valid_days": 30},
            },
            {"id": "none", "label": "No luck", "weight": 0, "stock": None},
        ],
    )
    member = await new_member()
    rng = random.Random(6)
    day1 = [
        (await plays.play(member, game, idempotency_key=f"d1-{i}", rng=rng, now=NOW)).is_win
        for i in range(4)
    ]
    assert day1 == [True, True, False, False]
    tomorrow = NOW + timedelta(days=1)
    r = await plays.play(member, game, idempotency_key="d2", rng=rng, now=tomorrow)
    assert r.is_win
    assert (await totals("wheel", "v50k")).remaining == 7  # type: ignore[union-attr]


async def test_draw_log_per_play_with_the_available_snapshot(db: str) -> None:
    game = make_game(plays_per_day=3)
    await sync_prize_stock([game])
    member = await new_member()
    rng = random.Random(7)
    first = await plays.play(member, game, idempotency_key="x", rng=rng, now=NOW)
    second = await plays.play(member, game, idempotency_key="y", rng=rng, now=NOW)
    logs = await DrawLog.all().order_by("id")
    assert [log.play_id for log in logs] == [first.play_id, second.play_id]
    assert logs[0].available["v50k"]["remaining"] == 10
    assert logs[1].available["v50k"]["remaining"] == 9
    assert logs[0].available["v50k"]["available"] is True
    assert logs[0].game_version == game.version()
    assert logs[0].member_code == member.member_code
    assert logs[0].rng == "Random" and logs[0].roll == first.roll
    assert (logs[0].prize_id, logs[0].is_win) == ("v50k", True)
    logs[0].prize_id = "none"
    with pytest.raises(RuntimeError):
        await logs[0].save()
    with pytest.raises(RuntimeError):
        await logs[0].delete()


async def test_window_and_type(db: str) -> None:
    member = await new_member()
    game = make_game(start="2025-03-02T00:00:00", end="2025-03-10T00:00:00")
    with pytest.raises(GameNotActive):  # naive times are Vietnam time
        await plays.play(member, game, idempotency_key="a", rng=random.Random(), now=NOW)
    ok = await plays.play(
        member, game, idempotency_key="b", rng=random.Random(), now=vn(2025, 3, 2, 0, 0)
    )
    assert ok.is_win
    with pytest.raises(GameNotActive):
        await plays.play(
            member, game, idempotency_key="c", rng=random.Random(), now=vn(2025, 3, 10, 0, 0)
        )
    with pytest.raises(WrongGameType):
        await plays.play(member, make_quiz(), idempotency_key="d", rng=random.Random(), now=NOW)


async def test_stock_sync(db: str) -> None:
    game = make_game(plays_per_day=5)
    await sync_prize_stock([game])
    member = await new_member()
    for i in range(3):
        await plays.play(member, game, idempotency_key=str(i), rng=random.Random(i), now=NOW)
    assert await sync_prize_stock([game]) == []  # unchanged stock: nothing to do
    bigger = make_game(prizes=[{**game.prizes[0].model_dump(), "stock": 20}, game.prizes[1]])
    (row,) = await sync_prize_stock([bigger])
    assert (row.stock_total, row.remaining, row.awarded) == (20, 17, 3)
    smaller = make_game(prizes=[{**game.prizes[0].model_dump(), "stock": 2}, game.prizes[1]])
    (row,) = await sync_prize_stock([smaller])
    assert (row.stock_total, row.remaining) == (2, 0)


async def test_concurrent_plays_of_one_member_respect_the_daily_limit(db: str) -> None:
    game = make_game(plays_per_day=3)
    member = await new_member()
    outcomes = await asyncio.gather(
        *(
            plays.play(member, game, idempotency_key=f"k{i}", rng=random.Random(i), now=NOW)
            for i in range(10)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(o, plays.PlayResult) for o in outcomes) == 3
    assert sum(isinstance(o, NoPlaysLeft) for o in outcomes) == 7
    assert await Play.all().count() == 3
