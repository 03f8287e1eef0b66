"""Cohorts: members grouped by the month of their first paid order (or of joining), and per
month after it (offset 0 = that month) how many were active, their orders and revenue.

Paid orders only (refunded ones are not revenue). For `joined`, orders from before a member
joined (imported history) are left out: a cohort's offsets start at its own month. Two
set-based queries whatever the data size; months without orders inside a cohort's range are
filled with zeros, up to the last month with any order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from loyalty.rawsql import fetch
from loyalty.reports.dialect import month_index, month_label

By = Literal["first_order", "joined"]


@dataclass(frozen=True, slots=True)
class MonthCell:
    offset: int
    active: int
    orders: int
    revenue: int


@dataclass(slots=True)
class CohortRow:
    cohort: str
    members: int
    months: list[MonthCell] = field(default_factory=list)


def _queries(by: By) -> tuple[str, str]:
    orders = (
        f"SELECT member_id, {month_index('paid_at')} AS m, amount FROM pos_order"
        " WHERE status = 'paid'"
    )
    if by == "first_order":
        cohort = "SELECT member_id, MIN(m) AS cm FROM o GROUP BY member_id"
    else:
        cohort = (
            f"SELECT id AS member_id, {month_index('created_at')} AS cm FROM member"
            " WHERE merged_into_id IS NULL"
        )
    with_ = f"WITH o AS ({orders}), c AS ({cohort})"
    cells = (
        f"{with_} SELECT c.cm AS cm, o.m - c.cm AS k, COUNT(DISTINCT o.member_id) AS active,"
        " COUNT(*) AS orders, SUM(o.amount) AS revenue"
        " FROM o JOIN c ON c.member_id = o.member_id WHERE o.m >= c.cm"
        " GROUP BY c.cm, o.m - c.cm"
    )
    sizes = f"{with_} SELECT cm, COUNT(*) AS members FROM c GROUP BY cm"
    return cells, sizes


async def cohorts(by: By = "first_order") -> list[CohortRow]:
    cells_sql, sizes_sql = _queries(by)
    cells = await fetch(cells_sql)
    sizes = await fetch(sizes_sql)
    last = max((int(r["cm"]) + int(r["k"]) for r in cells), default=None)
    found = {(int(r["cm"]), int(r["k"])): r for r in cells}
    out = []
    for size in sorted(sizes, key=lambda r: int(r["cm"])):
        cm = int(size["cm"])
        row = CohortRow(month_label(cm), int(size["members"]))
        for k in range(0, (last - cm + 1) if last is not None and last >= cm else 0):
            r = found.get((cm, k))
            row.months.append(
                MonthCell(k, 0, 0, 0)
                if r is None
                else MonthCell(k, int(r["active"]), int(r["orders"]), int(r["revenue"] or 0))
            )
        out.append(row)
    return out
