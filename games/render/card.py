"""The membership card image sent in chat: shop, member, tier, points, progress and a QR.

The caller formats every text (points with thousands separators, "x điểm nữa lên Gold",
labels) from the content file; this module only lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw

from games.render.canvas import gradient, jpeg, rounded
from games.render.qr import qr_image
from games.render.text import RGB, draw_block, fit, ink_on, mix, rgb

SIZE = (1000, 600)
DARK: RGB = (24, 28, 56)
WHITE: RGB = (255, 255, 255)
MUTED: RGB = (214, 218, 236)
GOLD: RGB = (255, 202, 40)


@dataclass(frozen=True, slots=True)
class MemberCardData:
    """Everything drawn on the card. `progress` in [0, 1] towards the next tier; None hides
    the bar (top tier)."""

    shop_name: str
    member_name: str
    tier_name: str
    tier_color: str
    points_text: str
    member_code: str
    qr_data: str
    progress: float | None = None
    progress_text: str | None = None
    code_label: str | None = None


def render_member_card(card: MemberCardData, *, size: tuple[int, int] = SIZE) -> bytes:
    """The card as JPEG bytes (see `canvas.jpeg`)."""
    w, h = size
    tier = rgb(card.tier_color)
    img = _background(size, tier).copy()
    d = ImageDraw.Draw(img)
    m = round(w * 0.06)
    qr_side = round(h * 0.56)
    left_w = w - 2 * m - qr_side - round(w * 0.04)  # the text column stops short of the QR

    shop = fit(
        card.shop_name,
        max_width=left_w,
        max_height=h * 0.1,
        max_size=round(h * 0.055),
        min_size=12,
        max_lines=1,
        bold=True,
    )
    draw_block(d, shop, (m, round(h * 0.07)), MUTED, align="left")

    name = fit(
        card.member_name,
        max_width=left_w,
        max_height=h * 0.2,
        max_size=round(h * 0.09),
        min_size=14,
        max_lines=2,
        bold=True,
    )
    y = round(h * 0.2)
    draw_block(d, name, (m, y), WHITE, align="left")
    y += name.height + round(h * 0.025)

    badge = fit(
        card.tier_name,
        max_width=left_w * 0.6,
        max_height=h * 0.07,
        max_size=round(h * 0.045),
        min_size=12,
        max_lines=1,
        bold=True,
    )
    pad_x, pad_y = round(h * 0.03), round(h * 0.012)
    bw, bh = round(badge.width) + 2 * pad_x, badge.height + 2 * pad_y
    rounded(img, (m, y, m + bw, y + bh), tier, bh // 2)
    draw_block(d, badge, (m + bw / 2, y + pad_y), ink_on(tier))
    y += bh + round(h * 0.04)

    points = fit(
        card.points_text,
        max_width=left_w,
        max_height=h * 0.12,
        max_size=round(h * 0.08),
        min_size=14,
        max_lines=1,
        bold=True,
    )
    draw_block(d, points, (m, y), GOLD, align="left")
    y += points.height + round(h * 0.035)

    if card.progress is not None:
        bar_h = round(h * 0.035)
        rounded(img, (m, y, m + left_w, y + bar_h), mix(DARK, WHITE, 0.25), bar_h // 2)
        filled = round(left_w * min(1.0, max(0.0, card.progress)))
        if filled >= bar_h:  # narrower than its own rounding would draw a blob
            rounded(img, (m, y, m + filled, y + bar_h), GOLD, bar_h // 2)
        y += bar_h + round(h * 0.02)
    if card.progress_text:
        note = fit(
            card.progress_text,
            max_width=left_w,
            max_height=h * 0.1,
            max_size=round(h * 0.04),
            min_size=12,
            max_lines=2,
        )
        draw_block(d, note, (m, y), MUTED, align="left")

    _qr_panel(img, card, (w - m - qr_side, round(h * 0.14)), qr_side)
    return jpeg(img)


def _qr_panel(img: Image.Image, card: MemberCardData, at: tuple[int, int], side: int) -> None:
    x0, y0 = at
    h = img.height
    rounded(img, (x0, y0, x0 + side, y0 + side), WHITE, round(side * 0.06))
    code = qr_image(card.qr_data, side - round(side * 0.08), border=2)
    img.paste(code, (x0 + (side - code.width) // 2, y0 + (side - code.height) // 2))
    d = ImageDraw.Draw(img)
    y = y0 + side + round(h * 0.025)
    if card.code_label:
        label = fit(
            card.code_label,
            max_width=side,
            max_height=h * 0.05,
            max_size=round(h * 0.03),
            min_size=10,
            max_lines=1,
        )
        draw_block(d, label, (x0 + side / 2, y), MUTED)
        y += label.height
    code_text = fit(
        card.member_code,
        max_width=side,
        max_height=h * 0.08,
        max_size=round(h * 0.05),
        min_size=12,
        max_lines=1,
        bold=True,
    )
    draw_block(d, code_text, (x0 + side / 2, y), WHITE)


@lru_cache(maxsize=16)
def _background(size: tuple[int, int], tier: RGB) -> Image.Image:
    """Gradient and circles: the same for every member of a tier, so drawn once per tier
    (callers draw on a copy)."""
    img = gradient(size, DARK, mix(tier, DARK, 0.35), diagonal=True)
    _decorate(img, tier)
    return img


def _decorate(img: Image.Image, tier: RGB) -> None:
    """Two soft translucent circles in the tier colour: a card, not a form."""
    w, h = img.size
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    d.ellipse((w * 0.55, -h * 0.5, w * 1.25, h * 0.6), fill=(*tier, 40))
    d.ellipse((-w * 0.2, h * 0.7, w * 0.3, h * 1.5), fill=(*tier, 28))
    img.paste(layer, (0, 0), layer)
