"""Masked names and phones for the public winner list."""

from __future__ import annotations

import pytest

from loyalty.promotions.masking import mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Thành", "Ng*** Th***"),
        ("Trần Thị Hoa", "Tr*** Th*** Ho***"),
        ("Lê Ân", "L*** Â***"),
        ("A", "***"),
        ("  Bảo  ", "Bả***"),
        (None, ""),
        ("", ""),
    ],
)
def test_names(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("84912345678", "09*****678"),
        ("0912345678", "09*****678"),
        ("84281234567", "02*****567"),
        ("12345", "*****"),
        (None, ""),
    ],
)
def test_phones(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked
