from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from games.render.card import MemberCardData, render_member_card
from games.render.qr import qr_modules, render_qr
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


def _read_qr(img: Image.Image) -> str:
    """Decode the one QR code in `img` with a real reader (zxing-cpp), as a till camera would."""
    found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, f"expected one readable QR code, found {len(found)}"
    assert found[0].valid and found[0].ec_level == "M"
    return str(found[0].text)


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
    assert _read_qr(panel) == card.qr_data  # the code is on the panel, whole
    assert _read_qr(img) == card.qr_data  # and a reader finds it on the whole card


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


def test_qr_media_is_square_crisp_and_readable() -> None:
    data = "MB7K2Q9X.1730000000.sig"
    img = _open(render_qr(data, size=400))
    assert img.size == (400, 400)
    assert _read_qr(img) == data
    assert sorted(c for _, c in img.getcolors()) == [(0, 0, 0), (255, 255, 255)]  # no blur
    symbol = qr_modules(data)
    assert symbol.width == symbol.height and (symbol.width - 17) % 4 == 0  # a QR version size
    dark = img.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
    assert dark is not None
    side = dark[2] - dark[0]
    assert side == dark[3] - dark[1] and side % symbol.width == 0  # whole pixels a module
