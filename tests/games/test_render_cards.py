from __future__ import annotations

import io

import pytest
import segno
from PIL import Image

from games.render.card import MemberCardData, render_member_card
from games.render.qr import render_qr
from games.render.quiz import render_quiz_question
from games.render.scratch import render_scratch_cover, render_scratch_reveal
from tests.games.conftest import VIETNAMESE

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def _open(data: bytes, *, kind: str = "PNG") -> Image.Image:
    assert data.startswith(PNG_MAGIC if kind == "PNG" else JPEG_MAGIC)
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == kind
    return img


def _read_qr(img: Image.Image, data: str) -> list[list[bool]]:
    """Sample the module grid of the QR drawn in `img` (a white panel holding black modules)."""
    gray = img.convert("L")
    dark = gray.point(lambda v: 255 if v < 80 else 0)
    left, top, right, bottom = dark.getbbox()  # type: ignore[misc]
    modules = segno.make(data, error="m", micro=False).symbol_size(scale=1, border=0)[0]
    step = (right - left) / modules
    assert (bottom - top) == pytest.approx(right - left, abs=1)
    return [
        [
            gray.getpixel((int(left + (x + 0.5) * step), int(top + (y + 0.5) * step))) < 128
            for x in range(modules)
        ]
        for y in range(modules)
    ]


def _expected_qr(data: str) -> list[list[bool]]:
    code = segno.make(data, error="m", micro=False)
    return [[bool(v) for v in row] for row in code.matrix_iter(scale=1, border=0)]


def test_scratch_cover_and_reveals_are_800x500_pngs() -> None:
    cover = _open(render_scratch_cover(title="Thẻ cào Tết", hint="Cào để mở"))
    win = _open(
        render_scratch_reveal(
            title="Thẻ cào Tết",
            prize_label="Voucher 50K",
            is_win=True,
            headline="Chúc mừng!",
            voucher_line="Mã: TET-8K2M",
        )
    )
    lose = _open(
        render_scratch_reveal(
            title="Thẻ cào Tết",
            prize_label="Chúc may mắn lần sau",
            is_win=False,
        )
    )
    for img in (cover, win, lose):
        assert img.size == (800, 500)
        assert img.mode == "RGB"
    assert cover.tobytes() != win.tobytes() != lose.tobytes()


def test_scratch_cover_is_deterministic_and_texts_matter() -> None:
    a = render_scratch_cover(title="Thẻ cào", hint="Cào")
    assert a == render_scratch_cover(title="Thẻ cào", hint="Cào")
    assert a != render_scratch_cover(title="Thẻ cào", hint="Cào đi")
    one = render_scratch_reveal(
        title="T", prize_label="Voucher 50K", is_win=True, voucher_line="Mã: AAAA"
    )
    two = render_scratch_reveal(
        title="T", prize_label="Voucher 50K", is_win=True, voucher_line="Mã: BBBB"
    )
    assert one != two


def test_quiz_card_renders_2_to_4_options() -> None:
    for n in (2, 3, 4):
        img = _open(
            render_quiz_question(
                VIETNAMESE + " " + VIETNAMESE,
                ["Đáp án dài " * 6] * n,
                header="Câu 1/3",
                footer="20 giây",
            )
        )
        assert (img.size, img.mode) == ((1000, 700), "RGB")
    with pytest.raises(ValueError):
        render_quiz_question("?", ["Một"])
    with pytest.raises(ValueError):
        render_quiz_question("?", ["1", "2", "3", "4", "5"])


def _card(**overrides: object) -> MemberCardData:
    data: dict[str, object] = {
        "shop_name": "Trà Sữa Mây",
        "member_name": "Nguyễn Thị Thuỳ Dương",
        "tier_name": "Silver",
        "tier_color": "#90A4AE",
        "points_text": "1.250 điểm",
        "member_code": "MB7K2Q9X",
        "qr_data": "MB7K2Q9X",
        "progress": 0.6,
        "progress_text": "750 điểm nữa lên Gold",
        "code_label": "Mã thành viên",
    }
    data.update(overrides)
    return MemberCardData(**data)  # type: ignore[arg-type]


def test_member_card_is_1000x600_with_a_readable_qr() -> None:
    card = _card(qr_data="https://shop.example/m/MB7K2Q9X?t=abc")
    img = _open(render_member_card(card), kind="JPEG")  # the QR reads back through JPEG
    assert (img.size, img.mode) == ((1000, 600), "RGB")
    # The QR sits on a white panel on the right: find the panel, then read the modules.
    white = img.convert("L").point(lambda v: 1 if v > 245 else 0).tobytes()
    rows = [y for y in range(600) if sum(white[y * 1000 + 550 : (y + 1) * 1000]) > 150]
    cols = [x for x in range(550, 1000) if sum(white[y * 1000 + x] for y in rows) > len(rows) // 2]
    inset = 12  # inside the rounded corners, outside the quiet zone
    panel = img.crop((cols[0] + inset, rows[0] + inset, cols[-1] - inset, rows[-1] - inset))
    assert _read_qr(panel, card.qr_data) == _expected_qr(card.qr_data)


def test_member_card_variants_render() -> None:
    top_tier = _open(
        render_member_card(
            _card(progress=None, progress_text=None, code_label=None, tier_color="#FFD54F")
        ),
        kind="JPEG",
    )
    assert top_tier.size == (1000, 600)
    long_texts = _open(
        render_member_card(
            _card(member_name=VIETNAMESE * 3, shop_name=VIETNAMESE * 2, progress=1.7)
        ),
        kind="JPEG",
    )
    assert long_texts.size == (1000, 600)
    assert render_member_card(_card(progress=0.1)) != render_member_card(_card(progress=0.9))


def test_qr_media_is_square_and_matches_segno() -> None:
    data = "MB7K2Q9X.1730000000.sig"
    img = _open(render_qr(data, size=400))
    assert img.size == (400, 400)
    assert _read_qr(img, data) == _expected_qr(data)
