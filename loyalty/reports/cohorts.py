"""Cohorts: members grouped by the month of their first paid order (or of joining), and per
month after it (offset 0 = that month) how many were active, their orders and revenue.

Paid orders only (refunded ones are not revenue). For `joined`, orders from before a member
joined (imported history) are left out: a cohort's offsets start at its own month. One pass
over the orders (per member and month, then per cohort and month) whatever the data size;
months without orders inside a cohort's range are filled with zeros, up to the last month
with any order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tortoise.transactions import in_transaction

from loyalty.rawsql import fetch, is_postgres
from loyalty.reports.dialect import month_index, month_label, month_of

By = Literal["first_order", "joined"]
REPORT_WORK_MEM = "64MB"


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


# Paid orders per member and month: the one pass over the orders every cohort needs. With
# the index on (member_id, paid_at) it streams in member order (migration loyalty 0004).
_PER_MEMBER_MONTH = (
    "SELECT member_id, {m} AS m, COUNT(*) AS n, SUM(amount) AS s FROM pos_order"
    " WHERE status = 'paid'{only} GROUP BY member_id, {m}"
)
# `source=`: only members who came that way (`Member.source`, bound as the one parameter).
_OF_SOURCE = " AND member_id IN (SELECT id FROM member WHERE source = ?)"


def _queries(by: By, source: str | None = None) -> tuple[str, str | None]:
    only = _OF_SOURCE if source is not None else ""
    pm = _PER_MEMBER_MONTH.format(m=month_of("paid_at"), only=only)
    if by == "first_order":
        cells = (
            "SELECT cm, m, COUNT(*) AS active, SUM(n) AS orders, SUM(s) AS revenue FROM"
            f" (SELECT m, n, s, MIN(m) OVER (PARTITION BY member_id) AS cm FROM ({pm}) pm) w"
            " GROUP BY cm, m"
        )
        return cells, None  # a cohort's members are those active in its first month
    joined = (
        f"SELECT id AS member_id, {month_of('created_at')} AS cm FROM member"
        " WHERE merged_into_id IS NULL" + (" AND source = ?" if source is not None else "")
    )
    cells = (
        "SELECT c.cm AS cm, pm.m AS m, COUNT(*) AS active, SUM(pm.n) AS orders,"
        f" SUM(pm.s) AS revenue FROM ({pm}) pm JOIN ({joined}) c ON c.member_id = pm.member_id"
        " WHERE pm.m >= c.cm GROUP BY c.cm, pm.m"
    )
    sizes = f"SELECT cm, COUNT(*) AS members FROM ({joined}) c GROUP BY cm"
    return cells, sizes


async def cohorts(by: By = "first_order", *, source: str | None = None) -> list[CohortRow]:
    """`source`: only members who first came that way (`zalo_follow`, `import`, `qr:…`)."""
    cells_sql, sizes_sql = _queries(by, source)
    bound = [source] if source is not None else []
    async with in_transaction():
        if is_postgres():  # the aggregates of a million orders fit in memory, not on disk
            await fetch(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        # For `joined` the source is bound twice in the cells (orders, members) and once in
        # the sizes.
        cells = await fetch(cells_sql, *(bound * (2 if by == "joined" else 1)))
        sizes = await fetch(sizes_sql, *bound) if sizes_sql is not None else []
    found: dict[tuple[int, int], Any] = {}
    for r in cells:
        cm = month_index(r["cm"])
        found[(cm, month_index(r["m"]) - cm)] = r
    if sizes_sql is None:
        members = {cm: int(r["active"]) for (cm, k), r in found.items() if k == 0}
    else:
        members = {month_index(r["cm"]): int(r["members"]) for r in sizes}
    last = max((cm + k for cm, k in found), default=None)
    out = []
    for cm in sorted(members):
        row = CohortRow(month_label(cm), members[cm])
        for k in range(0, (last - cm + 1) if last is not None and last >= cm else 0):
            cell = found.get((cm, k))
            row.months.append(
                MonthCell(k, 0, 0, 0)
                if cell is None
                else MonthCell(
                    k, int(cell["active"]), int(cell["orders"]), int(cell["revenue"] or 0)
                )
            )
        out.append(row)
    return out
