"""The few SQL expressions that differ between SQLite and PostgreSQL, for the reports.

Months are Vietnam months. Vietnam keeps UTC+7 all year (no daylight saving since 1975), so
SQLite's `+7 hours` and PostgreSQL's `AT TIME ZONE 'Asia/Ho_Chi_Minh'` agree on every instant.
"""

from __future__ import annotations

from loyalty.rawsql import is_postgres


def month_index(column: str) -> str:
    """year × 12 + month - 1 of a timestamp column, in Vietnam time (an integer)."""
    if is_postgres():
        local = f"({column} AT TIME ZONE 'Asia/Ho_Chi_Minh')"
        return (
            f"(CAST(EXTRACT(YEAR FROM {local}) AS INTEGER) * 12"
            f" + CAST(EXTRACT(MONTH FROM {local}) AS INTEGER) - 1)"
        )
    return (
        f"(CAST(strftime('%Y', {column}, '+7 hours') AS INTEGER) * 12"
        f" + CAST(strftime('%m', {column}, '+7 hours') AS INTEGER) - 1)"
    )


def within_days(later: str, earlier: str, days: int) -> str:
    """`earlier <= later < earlier + days` for two timestamp columns."""
    if is_postgres():
        return f"{later} >= {earlier} AND {later} < {earlier} + INTERVAL '{int(days)} days'"
    return (
        f"julianday({later}) >= julianday({earlier})"
        f" AND julianday({later}) < julianday({earlier}) + {int(days)}"
    )


def month_label(index: int) -> str:
    """`YYYY-MM` of a month index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
