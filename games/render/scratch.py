"""Scratch card images: the covered card (silver coating) and the revealed card per outcome.

The covered image does not depend on the outcome, so one file per campaign serves every
player and leaks nothing. The revealed image shows the prize label and, for winners, an
optional voucher line; the Mini App puts the coating over it and scratching uncovers it.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from games.render.canvas import gradient, png, rounded, speckle
from games.render.text import RGB, draw_block, fit, mix

SIZE = (800, 500)
CARD_TOP: RGB = (198, 40, 40)
CARD_BOTTOM: RGB = (136, 14, 79)
SILVER_LIGHT: RGB = (226, 228, 232)
SILVER_DARK: RGB = (160, 164, 172)
WIN_PANEL: RGB = (255, 248, 225)
WIN_INK: RGB = (198, 40, 40)
GOLD: RGB = (245, 190, 50)
LOSE_PANEL: RGB = (240, 240, 240)
LOSE_INK: RGB = (90, 90, 90)
WHITE: RGB = (255, 255, 255)


def render_scratch_cover(*, title: str, hint: str, size: tuple[int, int] = SIZE) -> bytes:
    """The card before scratching: title on the card, `hint` (e.g. "Cào để mở") on the coating."""
    img, panel = _card(title, size)
    x0, y0, x1, y1 = panel
    w, h = x1 - x0, y1 - y0
    coating = speckle(gradient((w, h), SILVER_LIGHT, SILVER_DARK, diagonal=True), seed=11)
    d = ImageDraw.Draw(coating)
    # Faint diagonal sheen bands make it read as foil rather than a flat grey box.
    for k in range(-h, w, max(24, w // 14)):
        d.line([(k, h), (k + h, 0)], fill=mix(SILVER_LIGHT, WHITE, 0.3), width=max(1, w // 300))
    fitted = fit(
        hint,
        max_width=w * 0.8,
        max_height=h * 0.5,
        max_size=round(h * 0.2),
        min_size=14,
        max_lines=2,
        bold=True,
    )
    draw_block(d, fitted, (w / 2, (h - fitted.height) / 2), (85, 88, 96))
    rounded(img, panel, coating, radius=round(h * 0.08))
    return png(img)


def render_scratch_reveal(
    *,
    title: str,
    prize_label: str,
    is_win: bool,
    headline: str | None = None,
    voucher_line: str | None = None,
    size: tuple[int, int] = SIZE,
) -> bytes:
    """The card after scratching. Every text is the caller's (from the content file)."""
    img, panel = _card(title, size)
    x0, y0, x1, y1 = panel
    w, h = x1 - x0, y1 - y0
    radius = round(h * 0.08)
    if is_win:
        rounded(img, panel, GOLD, radius)
        inner = (x0 + 6, y0 + 6, x1 - 6, y1 - 6)
        rounded(img, inner, WIN_PANEL, radius - 4)
    else:
        rounded(img, panel, LOSE_PANEL, radius)
    ink = WIN_INK if is_win else LOSE_INK
    blocks = []
    if headline:
        blocks.append(
            fit(
                headline,
                max_width=w * 0.85,
                max_height=h * 0.2,
                max_size=round(h * 0.12),
                min_size=14,
                max_lines=1,
                bold=False,
            )
        )
    blocks.append(
        fit(
            prize_label,
            max_width=w * 0.88,
            max_height=h * 0.45,
            max_size=round(h * 0.2),
            min_size=16,
            max_lines=2,
            bold=True,
        )
    )
    if voucher_line:
        blocks.append(
            fit(
                voucher_line,
                max_width=w * 0.85,
                max_height=h * 0.18,
                max_size=round(h * 0.09),
                min_size=12,
                max_lines=1,
                bold=True,
            )
        )
    gap = round(h * 0.04)
    total = sum(b.height for b in blocks) + gap * (len(blocks) - 1)
    y = y0 + (h - total) / 2
    d = ImageDraw.Draw(img)
    colours = (
        [LOSE_INK] * (1 if headline else 0) + [ink] + ([(60, 60, 60)] if voucher_line else [])
    )
    for block, colour in zip(blocks, colours, strict=True):
        draw_block(d, block, (x0 + w / 2, y), colour)
        y += block.height + gap
    return png(img)


def _card(title: str, size: tuple[int, int]) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """The card body with its title; returns the image and the scratch panel's box."""
    w, h = size
    img = gradient(size, CARD_TOP, CARD_BOTTOM, diagonal=True)
    d = ImageDraw.Draw(img)
    margin = round(w * 0.06)
    title_h = round(h * 0.2)
    fitted = fit(
        title,
        max_width=w - 2 * margin,
        max_height=title_h * 0.9,
        max_size=round(h * 0.09),
        min_size=14,
        max_lines=2,
        bold=True,
    )
    draw_block(d, fitted, (w / 2, round(h * 0.04) + (title_h - fitted.height) / 2), WHITE)
    panel = (margin, round(h * 0.04) + title_h + round(h * 0.02), w - margin, h - margin)
    return img, panel
