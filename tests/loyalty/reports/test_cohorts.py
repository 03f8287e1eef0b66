"""Cohorts on a small data set whose numbers are written down by hand (Vietnam months).

A joined 10 Jan; orders 15 Jan 100k, 20 Jan 50k, 1 Mar 200k.
B joined 31 Jan 23:30 (still January in Vietnam, already 16:30 UTC); first order 1 Feb
  00:30 Vietnam time (31 Jan in UTC!) 80k; 10 Feb 20k, refunded (not revenue).
C joined 5 Feb; orders 5 Feb 30k, 2 Apr 70k.
D joined 20 Feb; no order.
"""

from __future__ import annotations

from typing import Any

from loyalty.config import LoyaltyConfig
from loyalty.models import Member
from loyalty.orders import record_order, refund_order
from loyalty.reports.cohorts import cohorts
from tests.loyalty.conftest import new_member, vn


async def crafted(config: LoyaltyConfig) -> None:
    people = {
        "A": (vn(2025, 1, 10), [(vn(2025, 1, 15), 100_000), (vn(2025, 1, 20), 50_000),
                                (vn(2025, 3, 1), 200_000)]),
        "B": (vn(2025, 1, 31, 23, 30), [(vn(2025, 2, 1, 0, 30), 80_000),
                                        (vn(2025, 2, 10), 20_000)]),
        "C": (vn(2025, 2, 5), [(vn(2025, 2, 5, 9), 30_000), (vn(2025, 4, 2), 70_000)]),
        "D": (vn(2025, 2, 20), []),
    }  # fmt: skip
    for key, (joined, orders) in people.items():
        member = await new_member(key)
        await Member.filter(id=member.id).update(created_at=joined)
        for i, (paid_at, amount) in enumerate(orders):
            await record_order(
                f"{key}{i}", amount, config=config, member_code=member.member_code,
                paid_at=paid_at, now=paid_at,
            )  # fmt: skip
    await refund_order("B1", config=config, now=vn(2025, 2, 11))


def table(rows: list[Any]) -> dict[str, tuple[int, list[tuple[int, int, int]]]]:
    return {
        r.cohort: (r.members, [(m.active, m.orders, m.revenue) for m in r.months]) for r in rows
    }


async def test_cohorts_by_first_order(db: str, loyalty_config: LoyaltyConfig) -> None:
    await crafted(loyalty_config)
    assert table(await cohorts("first_order")) == {
        "2025-01": (1, [(1, 2, 150_000), (0, 0, 0), (1, 1, 200_000), (0, 0, 0)]),
        "2025-02": (2, [(2, 2, 110_000), (0, 0, 0), (1, 1, 70_000)]),
    }
    rows = await cohorts("first_order")
    assert [m.offset for m in rows[0].months] == [0, 1, 2, 3]


async def test_cohorts_by_joining_month(db: str, loyalty_config: LoyaltyConfig) -> None:
    await crafted(loyalty_config)
    assert table(await cohorts("joined")) == {
        "2025-01": (2, [(1, 2, 150_000), (1, 1, 80_000), (1, 1, 200_000), (0, 0, 0)]),
        "2025-02": (2, [(1, 1, 30_000), (0, 0, 0), (1, 1, 70_000)]),
    }


async def test_no_orders_no_months(db: str) -> None:
    await new_member("lonely")
    assert await cohorts("first_order") == []
    rows = await cohorts("joined")
    assert [(r.members, r.months) for r in rows] == [(1, [])]
