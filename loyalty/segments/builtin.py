"""Built-in segments: `all`, `has_phone`, `no_order_yet` and the eleven RFM ones.

Each member with a paid order gets R, F and M scores 1-5 (see `loyalty.segments.sql`) and
exactly one RFM segment: the first row of `RFM_TABLE` whose R range and FM range hold, where
FM = (F + M + 1) // 2, the rounded mean of F and M. The table covers all 25 (R, FM) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RfmRow:
    id: str
    name: str
    r: tuple[int, int]
    fm: tuple[int, int]


RFM_TABLE: tuple[RfmRow, ...] = (
    RfmRow("champions", "Khách hàng tốt nhất", (4, 5), (4, 5)),
    RfmRow("cannot_lose", "Không thể mất", (1, 1), (4, 5)),
    RfmRow("loyal", "Khách trung thành", (3, 5), (3, 5)),
    RfmRow("at_risk", "Có nguy cơ rời bỏ", (1, 2), (3, 5)),
    RfmRow("new_customers", "Khách mới", (5, 5), (1, 1)),
    RfmRow("promising", "Tiềm năng mới", (3, 4), (1, 1)),
    RfmRow("potential_loyalist", "Có thể trung thành", (4, 5), (2, 2)),
    RfmRow("need_attention", "Cần quan tâm", (3, 3), (2, 2)),
    RfmRow("about_to_sleep", "Sắp ngủ đông", (2, 2), (2, 2)),
    RfmRow("lost", "Đã mất", (1, 1), (1, 1)),
    RfmRow("hibernating", "Ngủ đông", (1, 2), (1, 2)),
)
RFM_IDS = tuple(row.id for row in RFM_TABLE)
BASIC_NAMES = {
    "all": "Tất cả thành viên",
    "has_phone": "Đã có số điện thoại",
    "no_order_yet": "Chưa mua hàng",
}
BUILTIN_NAMES = {**BASIC_NAMES, **{row.id: row.name for row in RFM_TABLE}}
BUILTIN_IDS = tuple(BUILTIN_NAMES)


def rfm_segment(r: int, f: int, m: int) -> str:
    """The RFM segment of a score triple (the same rule as the SQL CASE)."""
    fm = (f + m + 1) // 2
    for row in RFM_TABLE:
        if row.r[0] <= r <= row.r[1] and row.fm[0] <= fm <= row.fm[1]:
            return row.id
    raise AssertionError(f"RFM_TABLE does not cover r={r} fm={fm}")
