"""Time helpers: days are counted in Vietnam time, timestamps are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(dt: datetime) -> datetime:
    """Naive datetimes (e.g. `start:` in the content file) are read as Vietnam local time."""
    return dt.replace(tzinfo=VN_TZ) if dt.tzinfo is None else dt


def vn_date(now: datetime) -> date:
    return aware(now).astimezone(VN_TZ).date()


def vn_midnight(day: date) -> datetime:
    """00:00 in Vietnam on `day`, as a UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=VN_TZ).astimezone(UTC)


def next_vn_midnight(now: datetime) -> datetime:
    return vn_midnight(vn_date(now) + timedelta(days=1))
