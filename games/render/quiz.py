"""A quiz question as an image: the question and its lettered options, wrapped to fit.

Chat channels cannot lay out a question with four long answers, so the bot sends this card
and the answer buttons carry only the letters.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import ImageDraw

from games.render.canvas import gradient, png, rounded
from games.render.text import RGB, draw_block, fit

SIZE = (1000, 700)
LETTERS = "ABCD"
TOP: RGB = (40, 53, 147)
BOTTOM: RGB = (94, 53, 177)
WHITE: RGB = (255, 255, 255)
ACCENT: RGB = (255, 179, 0)
INK: RGB = (33, 33, 33)
MUTED: RGB = (220, 222, 255)


def option_letter(index: int) -> str:
    """The letter shown before an option, also what the answer buttons carry."""
    return LETTERS[index]


def render_quiz_question(
    question: str,
    options: Sequence[str],
    *,
    header: str | None = None,
    footer: str | None = None,
    size: tuple[int, int] = SIZE,
) -> bytes:
    """The question card. `header` (e.g. "Câu 1/3") and `footer` (e.g. a time limit) are
    optional caller texts."""
    if not 2 <= len(options) <= len(LETTERS):
        raise ValueError(f"a question needs 2 to {len(LETTERS)} options")
    w, h = size
    img = gradient(size, TOP, BOTTOM, diagonal=True)
    d = ImageDraw.Draw(img)
    margin = round(w * 0.06)
    y = round(h * 0.05)
    if header:
        head = fit(
            header,
            max_width=w - 2 * margin,
            max_height=h * 0.07,
            max_size=round(h * 0.045),
            min_size=12,
            max_lines=1,
            bold=True,
        )
        draw_block(d, head, (margin, y), ACCENT, align="left")
        y += head.height + round(h * 0.015)
    foot = None
    if footer:
        foot = fit(
            footer,
            max_width=w - 2 * margin,
            max_height=h * 0.06,
            max_size=round(h * 0.035),
            min_size=12,
            max_lines=1,
        )
    bottom = h - round(h * 0.05) - (foot.height + round(h * 0.015) if foot else 0)

    q = fit(
        question,
        max_width=w - 2 * margin,
        max_height=h * 0.3,
        max_size=round(h * 0.06),
        min_size=14,
        max_lines=4,
        bold=True,
    )
    draw_block(d, q, (margin, y), WHITE, align="left")
    y += q.height + round(h * 0.04)

    gap = round(h * 0.02)
    box_h = min(round(h * 0.14), (bottom - y - gap * (len(options) - 1)) // len(options))
    radius = box_h // 4
    circle = round(box_h * 0.62)
    for i, text in enumerate(options):
        box = (margin, y, w - margin, y + box_h)
        rounded(img, box, WHITE, radius)
        cx, cy = margin + box_h // 2, y + box_h // 2
        d.ellipse(
            (cx - circle / 2, cy - circle / 2, cx + circle / 2, cy + circle / 2), fill=ACCENT
        )
        letter = fit(
            option_letter(i),
            max_width=circle,
            max_height=circle * 0.8,
            max_size=round(circle * 0.6),
            min_size=10,
            max_lines=1,
            bold=True,
        )
        draw_block(d, letter, (cx, cy - letter.height / 2), INK)
        text_x = margin + box_h
        opt = fit(
            text,
            max_width=w - margin - text_x - round(w * 0.03),
            max_height=box_h * 0.9,
            max_size=round(box_h * 0.36),
            min_size=12,
            max_lines=2,
        )
        draw_block(d, opt, (text_x, cy - opt.height / 2), INK, align="left")
        y += box_h + gap
    if foot:
        draw_block(d, foot, (w / 2, h - round(h * 0.05) - foot.height), MUTED)
    return png(img)
