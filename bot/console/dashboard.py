"""The dashboard's numbers (set-based SQL, one statement per figure) and its small SVG charts.

Days are Vietnam days (UTC+7). Everything here only reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tortoise import connections
from tortoise.functions import Sum

from loyalty.clock import utcnow
from loyalty.models import Member, PrizeStock

VN_OFFSET = timedelta(hours=7)
DAYS = 30


@dataclass(slots=True)
class Stats:
    members: int = 0
    new_this_week: int = 0
    with_phone: int = 0
    orders_30d: int = 0
    revenue_30d: int = 0
    plays_30d: int = 0
    prizes_left: list[tuple[str, str, int]] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    orders_by_day: list[int] = field(default_factory=list)
    revenue_by_day: list[int] = field(default_factory=list)
    plays_by_day: list[int] = field(default_factory=list)


def _day_sql(column: str, postgres: bool) -> str:
    if postgres:
        return f"(({column} AT TIME ZONE 'UTC') + interval '7 hours')::date"
    return f"date({column}, '+7 hours')"


async def _by_day(
    table: str, column: str, value: str, since: datetime, extra: str
) -> dict[str, int]:
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    day = _day_sql(column, postgres)
    mark = "$1" if postgres else "?"
    arg: object = since if postgres else since.isoformat(sep=" ")
    sql = (
        f"SELECT {day} AS d, {value} AS v FROM {table} "
        f"WHERE {column} >= {mark} {extra} GROUP BY {day}"
    )
    rows = await conn.execute_query_dict(sql, [arg])
    return {str(row["d"])[:10]: int(row["v"] or 0) for row in rows}


async def collect(now: datetime | None = None) -> Stats:
    now = now or utcnow()
    today = (now + VN_OFFSET).date()
    first_day = today - timedelta(days=DAYS - 1)
    since = datetime.combine(first_day, datetime.min.time(), now.tzinfo) - VN_OFFSET
    live = Member.filter(merged_into_id=None, erased_at=None)
    stats = Stats(
        members=await live.count(),
        new_this_week=await live.filter(created_at__gte=now - timedelta(days=7)).count(),
        with_phone=await live.filter(phone__isnull=False).count(),
    )
    stock = (
        await PrizeStock.all()
        .group_by("game_id", "prize_id")
        .annotate(left=Sum("remaining"))
        .order_by("game_id", "prize_id")
        .values_list("game_id", "prize_id", "left")
    )
    stats.prizes_left = [(str(g), str(p), int(n or 0)) for g, p, n in stock]
    orders = await _by_day("pos_order", "paid_at", "COUNT(*)", since, "AND status = 'paid'")
    revenue = await _by_day("pos_order", "paid_at", "SUM(amount)", since, "AND status = 'paid'")
    plays = await _by_day("play", "created_at", "COUNT(*)", since, "")
    stats.days = [first_day + timedelta(days=i) for i in range(DAYS)]
    keys = [d.isoformat() for d in stats.days]
    stats.orders_by_day = [orders.get(k, 0) for k in keys]
    stats.revenue_by_day = [revenue.get(k, 0) for k in keys]
    stats.plays_by_day = [plays.get(k, 0) for k in keys]
    stats.orders_30d = sum(stats.orders_by_day)
    stats.revenue_30d = sum(stats.revenue_by_day)
    stats.plays_30d = sum(stats.plays_by_day)
    return stats


def bar_chart(
    values: list[int], labels: list[str], *, title: str, width: int = 300, height: int = 80
) -> str:
    """A small bar chart as inline SVG markup (no script, escaped labels)."""
    from markupsafe import escape

    top = max(values) if values and max(values) > 0 else 1
    step = width / max(1, len(values))
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = round(value / top * (height - 4), 1)
        bars.append(
            f'<rect x="{i * step + 1:.1f}" y="{height - h:.1f}" width="{max(1.0, step - 2):.1f}" '
            f'height="{h}"><title>{escape(label)}: {value:,}</title></rect>'
        )
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(bars)
        + "</svg>"
    )
