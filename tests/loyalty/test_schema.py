"""The database itself refuses over-allocation: CHECK constraints exist on both backends."""

from __future__ import annotations

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from loyalty.models import Member, PrizeStock
from tests.loyalty.conftest import new_member

EXPECTED = {
    "member": {"member_points_balance_nonneg", "member_points_earned_nonneg"},
    "prize_stock": {"prize_stock_remaining_nonneg", "prize_stock_awarded_nonneg"},
    "prize_daily_count": {"prize_daily_count_nonneg"},
    "points_entry": {"points_entry_after_nonneg"},
    "voucher": {"voucher_value_positive"},
    "pos_order": {"pos_order_amount_nonneg", "pos_order_points_nonneg"},
}


async def _check_names(table: str) -> set[str]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(
            "SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'",
            [table],
        )
        return {r["conname"] for r in rows}
    rows = await conn.execute_query_dict(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    )
    sql = rows[0]["sql"]
    return {name for name in EXPECTED[table] if f'CONSTRAINT "{name}" CHECK' in sql}


async def test_check_constraints_exist(db: str) -> None:
    for table, names in EXPECTED.items():
        assert await _check_names(table) == names, table


async def test_unique_constraints_survive_the_check_rebuild(db: str) -> None:
    await PrizeStock.create(game_id="g", prize_id="p", stock_total=1, remaining=1)
    with pytest.raises(IntegrityError):
        await PrizeStock.create(game_id="g", prize_id="p", stock_total=1, remaining=1)


async def test_remaining_cannot_go_below_zero(db: str) -> None:
    row = await PrizeStock.create(game_id="g", prize_id="p", stock_total=1, remaining=1)
    with pytest.raises(IntegrityError):
        await PrizeStock.filter(id=row.id).update(remaining=-1)
    conn = connections.get("default")
    with pytest.raises(IntegrityError):
        await conn.execute_script(f"UPDATE prize_stock SET remaining = -1 WHERE id = {row.id}")
    await row.refresh_from_db()
    assert row.remaining == 1


async def test_balance_cannot_go_below_zero(db: str) -> None:
    member = await new_member()
    with pytest.raises(IntegrityError):
        await Member.filter(id=member.id).update(points_balance=-1)
