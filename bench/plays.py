"""Game plays on PostgreSQL: bursts of different people playing at once, and a sustained run.

Calls the prize engine (`loyalty.plays.play`) directly in this process, on a fresh migrated
database with Tortoise's default pool. The winning prize always wins while it has stock, so
demand exceeds supply and "awards == stock" is a real check of the no-over-allocation claim.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from games.config import Game


def bench_game(game_id: str, stock: int) -> Game:
    return Game.model_validate(
        {
            "id": game_id,
            "type": "wheel",
            "title": "Vòng quay may mắn",
            "plays_per_day": 1,
            "prizes": [
                {
                    "id": "v50k",
                    "label": "Voucher 50K",
                    "weight": 1,
                    "stock": stock,
                    "voucher": {"value": 50_000, "valid_days": 30},
                },
                {"id": "none", "label": "Chúc may mắn lần sau", "weight": 0, "stock": None},
            ],
        }
    )


async def _members(n: int) -> list[Any]:
    """`n` new members (different people), created in bulk outside the timed part."""
    from loyalty import codes
    from loyalty.models import Member

    made: list[Any] = []
    while len(made) < n:
        wanted = {codes.generate(codes.MEMBER_LENGTH) for _ in range(n - len(made))}
        taken = set(
            await Member.filter(member_code__in=list(wanted)).values_list("member_code", flat=True)
        )
        fresh = list(wanted - taken)
        await Member.bulk_create([Member(member_code=c) for c in fresh], batch_size=500)
        made += await Member.filter(member_code__in=fresh)
    return made


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


async def _play_all(game: Game, members: list[Any], concurrency: int | None) -> dict[str, Any]:
    from loyalty import plays

    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency or len(members))

    async def one(i: int, member: Any) -> bool:
        async with gate:
            t0 = time.perf_counter()
            result = await plays.play(
                member, game, idempotency_key=f"bench-{i}", rng=random.Random(i)
            )
            latencies.append(time.perf_counter() - t0)
            return result.is_win

    start, cpu0 = time.perf_counter(), time.process_time()
    wins = await asyncio.gather(*(one(i, m) for i, m in enumerate(members)))
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0  # this process only: the plays' Python side
    return {
        "plays": len(members),
        "concurrency": concurrency or len(members),
        "wall_s": round(wall, 3),
        "plays_per_s": round(len(members) / wall, 1),
        "p50_ms": round(_pct(latencies, 50) * 1000, 1),
        "p99_ms": round(_pct(latencies, 99) * 1000, 1),
        "cpu_ms_per_play": round(cpu / len(members) * 1000, 3),
        "wins": sum(wins),
    }


async def _scenario(game_id: str, players: int, stock: int, concurrency: int | None) -> dict:
    from bot.settings import Settings
    from loyalty.models import Award, Voucher
    from loyalty.stock import sync_prize_stock, totals

    game = bench_game(game_id, stock)
    shards = Settings.model_fields["PRIZE_STOCK_SHARDS"].default  # what `serve` would use
    await sync_prize_stock([game], shards=shards)
    members = await _members(players)
    out = await _play_all(game, members, concurrency)
    row = await totals(game.id, "v50k")
    assert row is not None
    awards = await Award.filter(game_id=game.id).count()
    vouchers = await Voucher.filter(source="prize", member_id__in=[m.id for m in members]).count()
    out.update(
        stock=stock,
        awards=awards,
        vouchers=vouchers,
        stock_remaining=row.remaining,
        awards_equal_stock=awards == stock == out["wins"] == vouchers and row.remaining == 0,
    )
    return out


async def run_plays(database_url: str, *, sustained: int = 2000) -> dict[str, Any]:
    from tortoise import connections

    from bot.db import close_db, init_db

    await init_db(database_url)
    try:
        pool = getattr(connections.get("default"), "pool_maxsize", None)
        out: dict[str, Any] = {"db_pool_max": pool}
        await _scenario("bench-warmup", 20, 5, None)  # connections, statement caches
        out["burst_60"] = await _scenario("bench-60", 60, 30, None)
        out["burst_500"] = await _scenario("bench-500", 500, 100, None)
        out["sustained"] = await _scenario("bench-sustained", sustained, sustained // 4, 32)
        return out
    finally:
        await close_db()
