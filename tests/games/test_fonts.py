from __future__ import annotations

import unicodedata

import pytest

from games.render import fonts
from games.render.text import ELLIPSIS, fit, wrap
from tests.games.conftest import VIETNAMESE

LETTERS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
)
ALL_VIETNAMESE = LETTERS + LETTERS.upper() + "0123456789—–…!?%.,:;\"'()/+-₫"


def _notdef_mask(size: int, bold: bool) -> bytes:
    # U+E000 is a private-use code point the font does not map: it draws the tofu box.
    return bytes(fonts.font(size, bold).getmask("\ue000"))


@pytest.mark.parametrize("bold", [False, True])
def test_font_has_every_vietnamese_glyph(bold: bool) -> None:
    assert "\ue000" not in {chr(c) for c in fonts.codepoints(bold)}
    assert fonts.missing_glyphs(VIETNAMESE, bold) == set()
    assert fonts.missing_glyphs(ALL_VIETNAMESE, bold) == set()


@pytest.mark.parametrize("bold", [False, True])
def test_no_tofu_when_drawing(bold: bool) -> None:
    tofu = _notdef_mask(32, bold)
    for ch in set(ALL_VIETNAMESE + VIETNAMESE) - {" "}:
        mask = fonts.font(32, bold).getmask(ch)
        assert mask.getbbox() is not None, ch
        assert bytes(mask) != tofu, ch


def test_decomposed_text_is_composed_before_drawing() -> None:
    nfd = unicodedata.normalize("NFD", VIETNAMESE)
    assert nfd != VIETNAMESE
    assert fonts.drawable(nfd) == VIETNAMESE


def test_undrawable_characters_are_dropped() -> None:
    assert fonts.missing_glyphs("Quà 🎁 tặng") == {"🎁"}
    assert fonts.drawable("Quà 🎁 tặng") == "Quà tặng"
    assert fonts.drawable("Dòng 1\n  dòng   2 ") == "Dòng 1\ndòng 2"


def test_fonts_are_cached_and_licence_ships() -> None:
    assert fonts.font(20) is fonts.font(20)
    assert fonts.font(20, bold=True) is not fonts.font(20)
    licence = (fonts.FONT_DIR / "OFL.txt").read_text()
    assert "SIL Open Font License" in licence or "SIL OPEN FONT LICENSE" in licence


def test_wrap_keeps_words_and_explicit_newlines() -> None:
    fnt = fonts.font(24)
    lines = wrap("Chúc may mắn lần sau nhé\nHẹn gặp lại", fnt, 150)
    words = ["Chúc", "may", "mắn", "lần", "sau", "nhé", "Hẹn", "gặp", "lại"]
    assert " ".join(lines).split() == words
    assert any(ln.startswith("Hẹn") for ln in lines)  # the newline starts a line
    assert all(fnt.getlength(ln) <= 150 for ln in lines)


def test_fit_shrinks_rather_than_breaking_a_word() -> None:
    assert fonts.font(60, True).getlength("Voucher") > 120  # too wide at the largest size
    fitted = fit("Voucher 50K", max_width=120, max_height=200, max_size=60, min_size=8, bold=True)
    assert fitted.width <= 120
    assert [w for ln in fitted.lines for w in ln.split()] == ["Voucher", "50K"]


def test_fit_truncates_with_an_ellipsis_when_nothing_fits() -> None:
    text = "Bình giữ nhiệt cao cấp phiên bản giới hạn mùa Tết"
    fitted = fit(text, max_width=100, max_height=30, max_size=20, min_size=14, max_lines=1)
    assert len(fitted.lines) == 1
    assert fitted.lines[0].endswith(ELLIPSIS)
    assert fitted.width <= 100
