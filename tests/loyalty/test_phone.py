from __future__ import annotations

import pytest

from loyalty.errors import InvalidPhone
from loyalty.phone import is_phone_like, mask_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "0084912345678",
        "+84 0912 345 678",
        "(091) 234-5678",
    ],
)
def test_mobile_variants_normalize(raw: str) -> None:
    assert normalize_phone(raw) == "84912345678"


def test_landline() -> None:
    assert normalize_phone("028 3800 0000") == "842838000000"


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "12345", "912345678", "+1 415 555 0100", "09123456789", "0112345678", "0912-34x"],
)
def test_invalid_numbers_raise(raw: str) -> None:
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(raw)
    assert info.value.code == "invalid_phone"


def test_helpers() -> None:
    assert is_phone_like("0912 345 678")
    assert not is_phone_like("ABCD2345")
    assert mask_phone("84912345678") == "0912***678"
