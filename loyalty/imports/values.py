"""Values as Vietnamese POS and web-shop exports write them (KiotViet, Sapo, Haravan, ...).

Phones in any form (`0912 345 678`, `84912345678`, `+84 912.345.678`, and `912345678`,
which is what Excel makes of a 09… number stored as a number); dates `YYYY-MM-DD`,
`DD/MM/YYYY` (with or without a time) or an Excel serial day; amounts `1.250.000`,
`1,250,000`, `1250000` (a trailing `đ`, `₫` or `VND` is fine). Naive times are Vietnam time.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from loyalty.clock import VN_TZ
from loyalty.errors import InvalidPhone
from loyalty.imports.problems import BadValue
from loyalty.phone import normalize_phone

EXCEL_EPOCH = date(1899, 12, 30)
_GROUPED = re.compile(r"^\d{1,3}(?:([.,\s])\d{3})(?:\1\d{3})*$")
_CURRENCY = re.compile(r"(?i)\s*(?:vnđ|vnd|đ|₫|d)\s*$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_YMD = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$"
)
_BARE_MOBILE = re.compile(r"^[35789]\d{8}$")


def fold(text: str) -> str:
    """Lower case without accents (`Số điện thoại` → `so dien thoai`), for header and word
    matching."""
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return unicodedata.normalize("NFC", str(raw)).strip()


def phone(raw: Any) -> str:
    value = text(raw)
    if _BARE_MOBILE.match(value):
        value = "0" + value  # Excel dropped the leading 0 of a number stored as a number
    try:
        return normalize_phone(value)
    except InvalidPhone as exc:
        raise BadValue(
            f"{value!r} is not a Vietnamese phone number ({exc.detail})",
            "write it like 0912345678, 84912345678 or +84 912 345 678",
        ) from None


def amount(raw: Any, *, allow_zero: bool = False) -> int:
    """Whole VND: `1.250.000`, `1,250,000`, `1 250 000`, `1250000`, `1250000đ`."""
    if isinstance(raw, bool):
        raise BadValue(f"{raw!r} is not an amount", "write the amount in VND, e.g. 1250000")
    if isinstance(raw, int | float):
        if float(raw) != int(raw):
            raise BadValue(f"{raw} has decimals", "write a whole number of VND")
        value = int(raw)
    else:
        shown = text(raw)
        digits = _CURRENCY.sub("", shown).strip()
        if _GROUPED.match(digits):
            digits = re.sub(r"[.,\s]", "", digits)
        if not digits.isdigit():
            raise BadValue(
                f"{shown!r} is not a whole amount in VND",
                "write it like 1250000, 1.250.000 or 1,250,000",
            )
        value = int(digits)
    if value < 0 or (value == 0 and not allow_zero) or value > 10**12:
        low = "0" if allow_zero else "1"
        raise BadValue(f"{value} is out of range", f"it must be from {low} to 1000000000000")
    return value


def _excel_serial(raw: Any) -> datetime | None:
    try:
        serial = float(raw)
    except (TypeError, ValueError):
        return None
    if not 1 <= serial < 2958466:  # 1900-01-01 .. 9999-12-31
        return None
    return datetime.combine(EXCEL_EPOCH, time(0)) + timedelta(days=serial)


def moment(raw: Any) -> datetime:
    """A date or a date and time, as a UTC instant (naive values are Vietnam time)."""
    if isinstance(raw, datetime):
        parsed = raw
    elif isinstance(raw, date):
        parsed = datetime.combine(raw, time(0))
    else:
        value = text(raw)
        parsed_or_none = _parse_text(value)
        if parsed_or_none is None:
            raise BadValue(
                f"{value!r} is not a date",
                "write it like 2024-03-25 or 25/03/2024 (an optional time: 25/03/2024 14:30)",
            )
        parsed = parsed_or_none
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    return parsed.astimezone(UTC)


def _parse_text(value: str) -> datetime | None:
    for pattern, order in ((_YMD, "ymd"), (_DMY, "dmy")):
        match = pattern.match(value)
        if match:
            a, b, c = (int(x) for x in match.groups()[:3])
            y, mth, d = (a, b, c) if order == "ymd" else (c, b, a)
            hh, mm, ss = (int(x) if x else 0 for x in match.groups()[3:6])
            try:
                return datetime(y, mth, d, hh, mm, ss)
            except ValueError:
                return None
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return _excel_serial(value)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def day(raw: Any) -> date:
    """A calendar date (a birthday): the date as written, no time zone shift."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        serial = _excel_serial(raw)
        if serial is not None:
            return serial.date()
    value = text(raw)
    parsed = _parse_text(value)
    if parsed is None:
        raise BadValue(f"{value!r} is not a date", "write it like 1990-03-25 or 25/03/1990")
    return parsed.date()


STATUS_WORDS = {
    "paid": ("paid", "da thanh toan", "hoan thanh", "thanh cong", "completed", "success"),
    "refunded": ("refunded", "da hoan tien", "hoan tien", "hoan tra", "tra hang", "returned"),
    "cancelled": ("cancelled", "canceled", "da huy", "huy", "void"),
}


def status(raw: Any) -> str:
    value = fold(text(raw))
    if not value:
        return "paid"
    for name, words in STATUS_WORDS.items():
        if value in words:
            return name
    raise BadValue(
        f"{text(raw)!r} is not an order status",
        "write paid, refunded or cancelled (or leave it empty for paid)",
    )
