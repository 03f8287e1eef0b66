"""Text layout for renders: wrap, shrink to fit a box, and draw a block of lines.

Admins write labels of any length in the content file; layout must make them fit instead of
overflowing, so every renderer goes through `fit()` and only then draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from PIL import ImageDraw, ImageFont

from games.render.fonts import drawable, font

RGB = tuple[int, int, int]
ELLIPSIS = "…"
LINE_SPACING = 1.12


def rgb(hex_color: str) -> RGB:
    h = hex_color.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend from a (t=0) to b (t=1)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def luminance(c: RGB) -> float:
    """Relative luminance (WCAG), 0 = black, 1 = white."""

    def lin(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])


def ink_on(background: RGB) -> RGB:
    """White on saturated or dark colours, near-black on light ones (yellow, silver, cream).

    The cut-off sits above the WCAG midpoint on purpose: white on a bright red or orange reads
    as festive and stays legible at label sizes.
    """
    return (255, 255, 255) if luminance(background) < 0.45 else (33, 33, 33)


@lru_cache(maxsize=8192)
def text_width(text: str, fnt: ImageFont.FreeTypeFont) -> float:
    """Shaped width, remembered: fitting measures the same words at the same sizes render
    after render (labels, shop and tier names), and shaping is the slow part of fitting.
    Fonts come from `fonts.font`, itself cached, so the key stays small."""
    return fnt.getlength(text)


def line_height(fnt: ImageFont.FreeTypeFont) -> int:
    ascent, descent = fnt.getmetrics()
    return round((ascent + descent) * LINE_SPACING)


def wrap(text: str, fnt: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy word wrap; explicit newlines are kept, over-long words are split by character."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, fnt) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            for ch in word:  # the word alone is too wide, or starts a new line
                if current and text_width(current + ch, fnt) > max_width:
                    lines.append(current)
                    current = ""
                current += ch
        lines.append(current)
    return [ln for ln in lines if ln] or [""]


@dataclass(frozen=True, slots=True)
class Fitted:
    """Lines laid out at one size; `width`/`height` are the block's extent in pixels."""

    font: ImageFont.FreeTypeFont
    lines: tuple[str, ...]
    line_height: int
    width: float
    height: int


def layout(text: str, fnt: ImageFont.FreeTypeFont, max_width: float) -> Fitted:
    lines = tuple(wrap(text, fnt, max_width))
    lh = line_height(fnt)
    width = max((text_width(ln, fnt) for ln in lines), default=0.0)
    return Fitted(fnt, lines, lh, width, lh * len(lines))


def fit(
    text: str,
    *,
    max_width: float,
    max_height: float,
    max_size: int,
    min_size: int,
    max_lines: int = 3,
    bold: bool = False,
    accept: Callable[[Fitted], bool] | None = None,
) -> Fitted:
    """The largest size at which `text` fits the box in at most `max_lines` lines.

    `accept` adds a shape-specific test (a wheel slice narrows towards the hub). Sizes are
    searched by bisection (fitting is monotonic in practice, and measuring shaped text is
    the slow part of a render). When even `min_size` does not fit, the text is cut to
    `max_lines` with an ellipsis: an image must never spill out of its box.
    """
    text = drawable(text, bold)
    words = text.split()

    def attempt(size: int) -> Fitted | None:
        fnt = font(size, bold)
        if any(text_width(w, fnt) > max_width for w in words):
            return None  # a word would be broken mid-way: try smaller before doing that
        fitted = layout(text, fnt, max_width)
        if (
            len(fitted.lines) <= max_lines
            and fitted.height <= max_height
            and fitted.width <= max_width
            and (accept is None or accept(fitted))
        ):
            return fitted
        return None

    best: Fitted | None = None
    lo, hi = min_size, max(min_size, max_size)
    while lo <= hi:
        mid = (lo + hi) // 2
        fitted = attempt(mid)
        if fitted is None:
            hi = mid - 1
        else:
            best, lo = fitted, mid + 1
    if best is not None:
        return best
    return _truncate(layout(text, font(min_size, bold), max_width), max_width, max_lines)


def _truncate(fitted: Fitted, max_width: float, max_lines: int) -> Fitted:
    lines = list(fitted.lines[:max_lines])
    if len(fitted.lines) > max_lines or fitted.width > max_width:
        last = lines[-1]
        while last and text_width(last + ELLIPSIS, fitted.font) > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip() + ELLIPSIS
    width = max(text_width(ln, fitted.font) for ln in lines)
    return Fitted(
        fitted.font, tuple(lines), fitted.line_height, width, fitted.line_height * len(lines)
    )


def draw_block(
    draw: ImageDraw.ImageDraw,
    fitted: Fitted,
    xy: tuple[float, float],
    fill: RGB | tuple[int, int, int, int],
    *,
    align: str = "center",
) -> None:
    """Draw the lines with `xy` at the block's top edge: its centre, left or right end."""
    x, top = xy
    ascent, descent = fitted.font.getmetrics()
    # Centre the glyph box inside each (spaced) line slot.
    pad = (fitted.line_height - ascent - descent) / 2
    anchor = {"center": "ms", "left": "ls", "right": "rs"}[align]
    for i, line in enumerate(fitted.lines):
        baseline = top + i * fitted.line_height + pad + ascent
        draw.text((x, baseline), line, font=fitted.font, fill=fill, anchor=anchor)
