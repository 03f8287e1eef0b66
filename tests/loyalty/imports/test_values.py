"""Values as Vietnamese exports write them: phones, dates, amounts, statuses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from loyalty.imports import values as v
from loyalty.imports.problems import BadValue


@pytest.mark.parametrize(
    "raw",
    ["0912345678", "0912 345 678", "0912.345.678", "84912345678", "+84 912 345 678",
     "+84 0912345678", 912345678, 912345678.0, "912345678"],
)  # fmt: skip
def test_every_phone_form_is_one_number(raw: object) -> None:
    assert v.phone(raw) == "84912345678"


@pytest.mark.parametrize("raw", ["12345", "abc", "+1 415 555 0100", ""])
def test_bad_phones_say_how_to_write_one(raw: str) -> None:
    with pytest.raises(BadValue) as exc:
        v.phone(raw)
    assert "0912345678" in exc.value.fix


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.250.000", 1250000), ("1,250,000", 1250000), ("1250000", 1250000),
     ("1 250 000", 1250000), ("1.250.000đ", 1250000), ("1,250,000 VND", 1250000),
     (1250000, 1250000), (1250000.0, 1250000), ("500", 500)],
)  # fmt: skip
def test_amounts(raw: object, expected: int) -> None:
    assert v.amount(raw) == expected


@pytest.mark.parametrize("raw", ["1.25", "12,5", "abc", "-100", 12.5, "0", "1.2.3"])
def test_bad_amounts(raw: object) -> None:
    with pytest.raises(BadValue):
        v.amount(raw)


def test_dates_read_as_vietnam_time() -> None:
    expected = datetime(2026, 3, 24, 17, 0, tzinfo=UTC)  # 00:00 on the 25th in Vietnam
    assert v.moment("2026-03-25") == expected
    assert v.moment("25/03/2026") == expected
    assert v.moment(datetime(2026, 3, 25)) == expected
    assert v.moment("25/03/2026 14:30") == datetime(2026, 3, 25, 7, 30, tzinfo=UTC)
    assert v.moment("46106") == expected  # an Excel serial day
    assert v.day(46106) == date(2026, 3, 25)
    assert v.day("25/03/1990") == date(1990, 3, 25)
    with pytest.raises(BadValue):
        v.moment("31/02/2026")
    with pytest.raises(BadValue):
        v.day("next tuesday")


def test_statuses_in_english_and_vietnamese() -> None:
    assert v.status("") == "paid"
    assert v.status("Hoàn thành") == "paid"
    assert v.status("Đã hủy") == "cancelled"
    assert v.status("trả hàng") == "refunded"
    with pytest.raises(BadValue):
        v.status("shipped")
