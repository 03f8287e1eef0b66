from __future__ import annotations

import unicodedata

import pytest

from bot.core.text import fold


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Bắt  Đầu ", "bat dau"),
        ("bat dau", "bat dau"),
        ("BẮT ĐẦU", "bat dau"),
        ("\tđường\n đi ", "duong di"),
        ("Vòng quay MAY MẮN", "vong quay may man"),
        ("Thẻ thành viên", "the thanh vien"),
        ("", ""),
        ("   ", ""),
        ("Straße", "strasse"),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_fold_is_the_same_for_composed_and_decomposed_input() -> None:
    composed = "Quà tặng"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert fold(composed) == fold(decomposed) == "qua tang"
