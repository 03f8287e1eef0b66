"""The few SQL expressions that differ between SQLite and PostgreSQL, for the reports.

Months are Vietnam months. Vietnam keeps UTC+7 all year (no daylight saving since 1975), so
SQLite's `+7 hours` and PostgreSQL's `AT TIME ZONE 'Asia/Ho_Chi_Minh'` agree on every instant.
"""

from __future__ import annotations

from typing import Any

from loyalty.rawsql import is_postgres


def month_of(column: str) -> str:
    """The Vietnam month of a timestamp column, as an orderable key: the month's first
    instant (PostgreSQL; `date_trunc` costs a fraction of two EXTRACTs) or `YYYY-MM` text
    (SQLite). `month_index` turns either into a number once the rows are aggregated."""
    if is_postgres():
        return f"date_trunc('month', {column} AT TIME ZONE 'UTC' + INTERVAL '7 hours')"
    return f"strftime('%Y-%m', {column}, '+7 hours')"


def month_index(key: Any) -> int:
    """year × 12 + month - 1 of a `month_of` key as the driver returns it."""
    if isinstance(key, str):
        year, month = key[:7].split("-")
        return int(year) * 12 + int(month) - 1
    return int(key.year) * 12 + int(key.month) - 1


def within_days(later: str, earlier: str, days: int, *, last: str | None = None) -> str:
    """`earlier <= later < (last or earlier) + days` for timestamp columns."""
    last = last or earlier
    if is_postgres():
        return f"{later} >= {earlier} AND {later} < {last} + INTERVAL '{int(days)} days'"
    return (
        f"julianday({later}) >= julianday({earlier})"
        f" AND julianday({later}) < julianday({last}) + {int(days)}"
    )


def month_label(index: int) -> str:
    """`YYYY-MM` of a month index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
