"""What the campaigns brought: per broadcast and per journey, people reached, people who
bought afterwards, and their revenue; for journeys also the holdout, so the uplift is one
subtraction.

A broadcast recipient converts with a paid order within `days` of the send (refunded and
cancelled orders do not count). A broadcast has no control group, so its conversion says
what followed it, not what it caused; a journey's uplift against its holdout is the number
that says what it caused.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.rawsql import fetch
from loyalty.reports.dialect import within_days

DAYS = 7

# One pass: each broadcast's sent rows, then the paid orders inside each recipient's window
# (indexes: broadcast_recipient (broadcast_id, status), pos_order (member_id, paid_at)).
BROADCASTS = (
    "WITH s AS (SELECT broadcast_id, member_id, sent_at FROM broadcast_recipient"
    " WHERE status = 'sent'),"
    " n AS (SELECT broadcast_id, COUNT(*) AS sent FROM s GROUP BY broadcast_id),"
    " c AS (SELECT s.broadcast_id, COUNT(DISTINCT s.member_id) AS converted,"
    " SUM(o.amount) AS revenue FROM s JOIN pos_order o ON o.member_id = s.member_id"
    " WHERE o.status = 'paid' AND {window} GROUP BY s.broadcast_id)"
    " SELECT b.id AS id, b.name AS name, b.status AS status, b.purpose AS purpose,"
    " COALESCE(n.sent, 0) AS sent, COALESCE(c.converted, 0) AS converted,"
    " COALESCE(c.revenue, 0) AS revenue FROM broadcast b"
    " LEFT JOIN n ON n.broadcast_id = b.id LEFT JOIN c ON c.broadcast_id = b.id"
    " ORDER BY b.id DESC LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class BroadcastResult:
    id: int
    name: str
    status: str
    purpose: str
    sent: int
    converted: int
    revenue: int

    @property
    def conversion_rate(self) -> float | None:
        return rate(self.converted, self.sent)


def rate(part: int, whole: int) -> float | None:
    """A share in [0, 1], rounded for reading; None when there is nobody to divide by."""
    return round(part / whole, 4) if whole else None


async def broadcast_results(*, days: int = DAYS, limit: int = 100) -> list[BroadcastResult]:
    """The latest `limit` broadcasts, newest first."""
    sql = BROADCASTS.format(window=within_days("o.paid_at", "s.sent_at", days))
    rows = await fetch(sql, limit)
    return [
        BroadcastResult(
            id=int(r["id"]),
            name=str(r["name"]),
            status=str(r["status"]),
            purpose=str(r["purpose"]),
            sent=int(r["sent"]),
            converted=int(r["converted"]),
            revenue=int(r["revenue"] or 0),
        )
        for r in rows
    ]
