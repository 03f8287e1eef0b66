"""Shading for the heat maps: a value's share of the largest one as one of eleven CSS
classes (`h0`…`h10`), because the page's policy allows no inline style."""

from __future__ import annotations

LEVELS = 10


def level(value: int, top: int) -> int:
    """0 for nothing, else 1…10 by the share of `top` (the darkest is the largest)."""
    if value <= 0 or top <= 0:
        return 0
    return max(1, min(LEVELS, round(value / top * LEVELS)))


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0
