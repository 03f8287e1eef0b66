"""The RFM grid: members and revenue per recency × frequency cell, as of the last refresh.

Read from the stored scores (`member_rfm`, written by `loyalty.segments`), so it costs one
aggregate over one row per member; members who never ordered have no scores and are left
out. Revenue is the spend within the RFM window (the content file's `rfm.window_days`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty.rawsql import fetch

_GRID = (
    "SELECT x.r AS r, x.f AS f, COUNT(*) AS members, SUM(x.spend_window) AS revenue,"
    " MAX(x.refreshed_at) AS refreshed_at FROM member_rfm x JOIN member m ON m.id = x.member_id"
    " WHERE x.r IS NOT NULL AND x.f IS NOT NULL AND m.merged_into_id IS NULL"
    " AND m.erased_at IS NULL GROUP BY x.r, x.f"
)


@dataclass(frozen=True, slots=True)
class RfmCell:
    r: int
    f: int
    members: int
    revenue: int


@dataclass(frozen=True, slots=True)
class RfmGrid:
    cells: list[RfmCell]  # all 25 cells, R then F from 1 to 5, empty ones with zeros
    refreshed_at: datetime | None


async def rfm_grid() -> RfmGrid:
    rows = await fetch(_GRID)
    found = {(int(r["r"]), int(r["f"])): r for r in rows}
    cells = []
    for r in range(1, 6):
        for f in range(1, 6):
            row = found.get((r, f))
            cells.append(
                RfmCell(r, f, int(row["members"]), int(row["revenue"] or 0))
                if row is not None
                else RfmCell(r, f, 0, 0)
            )
    stamps = [row["refreshed_at"] for row in rows if row["refreshed_at"] is not None]
    refreshed = max(stamps) if stamps else None
    if isinstance(refreshed, str):
        refreshed = datetime.fromisoformat(refreshed)
    return RfmGrid(cells, refreshed)
