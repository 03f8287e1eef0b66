"""Reports on PostgreSQL at a chain's scale: 200,000 members, 1,000,000 orders over two
years, one game of 500,000 plays (50,000 won, a third of their vouchers redeemed).

The data is loaded with COPY into a fresh migrated database, then ANALYZEd. Each report runs
once to warm the cache, then `rounds` times; the median is reported. Baseline, in the same
run: one plain scan of all orders (`SELECT COUNT(*), SUM(amount) FROM pos_order`), the least
any report over the orders must do.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

MEMBERS = 200_000
ORDERS = 1_000_000
PLAYS = 500_000
WIN_EVERY = 10
START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 730


def bench_game() -> Any:
    from games.config import Game

    return Game.model_validate(
        {
            "id": "bench-report", "type": "wheel", "title": "Vòng quay", "plays_per_day": 1,
            "prizes": [
                {"id": "v50k", "label": "Voucher 50K", "weight": 1, "stock": PLAYS,
                 "voucher": {"value": 50_000, "valid_days": 30}},
                {"id": "none", "label": "Chúc may mắn", "weight": 9, "stock": None},
            ],
        }
    )  # fmt: skip


async def _load(conn: Any, members: int, orders: int, plays: int) -> None:
    """Everything with COPY, ids given explicitly (sequences moved past them afterwards)."""
    rng = random.Random(23)
    joined = [START + timedelta(seconds=rng.randrange(DAYS * 86400)) for _ in range(members)]
    await conn.copy_records_to_table(
        "member",
        columns=["id", "member_code", "name", "tier", "points_earned", "points_balance",
                 "created_at"],
        records=((i + 1, f"M{i + 1:09d}", f"Khách {i + 1}", "", 0, 0, joined[i])
                 for i in range(members)),
    )  # fmt: skip
    end = START + timedelta(days=DAYS)

    def order(i: int) -> tuple[Any, ...]:
        m = rng.randrange(members)
        first = joined[m]
        paid = first + (end - first) * rng.random()
        status = "refunded" if i % 50 == 0 else "paid"
        amount = rng.randrange(20, 500) * 1000
        return (i + 1, f"B{i + 1}", m + 1, amount, paid, 0, 0, "", "{}", status, 0, paid)

    await conn.copy_records_to_table(
        "pos_order",
        columns=["id", "order_id", "member_id", "amount", "paid_at", "points", "balance_after",
                 "tier_after", "result", "status", "points_reversed", "created_at"],
        records=(order(i) for i in range(orders)),
    )  # fmt: skip
    game = bench_game()
    day0 = date(2025, 6, 1)
    play_rows: list[tuple[Any, ...]] = []
    award_rows: list[tuple[Any, ...]] = []
    voucher_rows: list[tuple[Any, ...]] = []
    for i in range(plays):
        m = (i * 7919) % members + 1  # spread over the members, some play several times
        at = datetime(2025, 6, 1, tzinfo=UTC) + timedelta(seconds=i * 20)
        win = i % WIN_EVERY == 0
        play_rows.append((i + 1, m, game.id, "wheel", game.version(), f"k{i}",
                          day0 + timedelta(days=i * 20 // 86400), "done",
                          "v50k" if win else "none", win, 0 if win else 1, at, at))  # fmt: skip
        if win:
            v = len(voucher_rows) + 1
            redeemed = at + timedelta(days=3) if v % 3 == 0 else None
            voucher_rows.append((v, f"V{v:010d}", m, "amount", 50_000, 0, "Voucher 50K",
                                 "prize", f"play:{i + 1}", at, at + timedelta(days=30),
                                 redeemed))  # fmt: skip
            award_rows.append((i + 1, m, game.id, "v50k", v, at))
    await conn.copy_records_to_table(
        "play",
        columns=["id", "member_id", "game_id", "game_type", "game_version", "idempotency_key",
                 "day", "status", "prize_id", "is_win", "slice_index", "created_at",
                 "finished_at"],
        records=play_rows,
    )  # fmt: skip
    await conn.copy_records_to_table(
        "voucher",
        columns=["id", "code", "member_id", "kind", "value", "min_order", "title", "source",
                 "source_ref", "issued_at", "expires_at", "redeemed_at"],
        records=voucher_rows,
    )  # fmt: skip
    await conn.copy_records_to_table(
        "award",
        columns=["play_id", "member_id", "game_id", "prize_id", "voucher_id", "created_at"],
        records=award_rows,
    )
    for table in ("member", "pos_order", "play", "voucher"):
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT MAX(id) FROM {table}))"
        )
    await conn.execute("VACUUM ANALYZE")  # as autovacuum leaves a table of old orders


async def _median(fn: Callable[[], Awaitable[Any]], rounds: int) -> tuple[float, Any]:
    await fn()  # warm the cache
    times, out = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = await fn()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 3), out


async def run_reports(
    database_url: str,
    *,
    members: int = MEMBERS,
    orders: int = ORDERS,
    plays: int = PLAYS,
    rounds: int = 3,
) -> dict[str, Any]:
    import asyncpg

    from bot.db import close_db, init_db, normalize_url
    from loyalty.reports.cohorts import cohorts
    from loyalty.reports.games import game_report
    from loyalty.stock import sync_prize_stock

    raw = await asyncpg.connect(
        normalize_url(database_url).replace("postgres://", "postgresql://", 1)
    )
    t0 = time.perf_counter()
    try:
        await _load(raw, members, orders, plays)
    finally:
        await raw.close()
    load_s = round(time.perf_counter() - t0, 1)
    await init_db(database_url)
    try:
        game = bench_game()
        await sync_prize_stock([game])
        from loyalty.rawsql import fetch

        async def baseline() -> Any:
            return await fetch("SELECT COUNT(*) AS n, SUM(amount) AS s FROM pos_order")

        base_s, _ = await _median(baseline, rounds)
        first_s, first = await _median(lambda: cohorts("first_order"), rounds)
        joined_s, joined = await _median(lambda: cohorts("joined"), rounds)
        games_s, report = await _median(lambda: game_report(game), rounds)
    finally:
        await close_db()
    return {
        "members": members,
        "orders": orders,
        "plays": plays,
        "load_s": load_s,
        "baseline_scan_s": base_s,
        "cohorts_first_order_s": first_s,
        "cohorts_joined_s": joined_s,
        "cohort_rows": len(first),
        "cohort_ratio": round(max(first_s, joined_s) / base_s, 1) if base_s else None,
        "games_s": games_s,
        "games_ratio": round(games_s / base_s, 1) if base_s else None,
        "game_plays": report.plays,
        "game_wins": report.wins,
        "game_orders_after": report.orders_after,
        "joined_rows": len(joined),
    }
