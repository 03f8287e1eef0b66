"""The shipped font (Noto Sans, OFL) by size, and which characters it can draw.

Loading a FreeType face costs a file read and parse, and every render asks for a handful of
sizes, so faces are cached per (size, weight). Labels come from the admin's content file and
may hold emoji or other scripts; `drawable()` drops what the font lacks so an image never
shows "tofu" boxes, and `missing_glyphs()` lets the config check warn about it up front.
"""

from __future__ import annotations

import struct
import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
REGULAR = FONT_DIR / "NotoSans-Regular.ttf"
BOLD = FONT_DIR / "NotoSans-Bold.ttf"


def font_path(bold: bool = False) -> Path:
    return BOLD if bold else REGULAR


@lru_cache(maxsize=128)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A cached face. Sharing it between render threads is safe: Pillow keeps the GIL (or,
    free-threaded, a per-font critical section) during every FreeType call."""
    return ImageFont.truetype(str(font_path(bold)), size=max(1, int(size)))


@lru_cache(maxsize=4)
def codepoints(bold: bool = False) -> frozenset[int]:
    """Every code point the font's Unicode cmap maps to a real glyph."""
    return frozenset(_read_cmap(font_path(bold).read_bytes()))


def missing_glyphs(text: str, bold: bool = False) -> set[str]:
    """Characters of `text` (NFC) the font cannot draw; whitespace never counts."""
    cps = codepoints(bold)
    text = unicodedata.normalize("NFC", text)
    return {ch for ch in text if not ch.isspace() and ord(ch) not in cps}


def drawable(text: str, bold: bool = False) -> str:
    """`text` in NFC with undrawable characters removed and spaces collapsed (newlines kept)."""
    missing = missing_glyphs(text, bold)
    kept = "".join(ch for ch in unicodedata.normalize("NFC", text) if ch not in missing)
    return "\n".join(" ".join(line.split()) for line in kept.strip().split("\n"))


def _read_cmap(data: bytes) -> set[int]:
    """Parse the cmap table of a TrueType/OpenType file (formats 4 and 12).

    Pillow has no API for coverage and fontTools is not a dependency; the two formats are
    short and cover every font we would ship.
    """
    (num_tables,) = struct.unpack_from(">H", data, 4)
    cmap_at = None
    for i in range(num_tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if tag == b"cmap":
            cmap_at = offset
    if cmap_at is None:
        raise ValueError("font has no cmap table")
    (_, count) = struct.unpack_from(">HH", data, cmap_at)
    subtables: dict[tuple[int, int], int] = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_at + 4 + 8 * i)
        subtables[(platform, encoding)] = cmap_at + offset
    for key in ((3, 10), (0, 4), (0, 6), (3, 1), (0, 3)):
        at = subtables.get(key)
        if at is None:
            continue
        (fmt,) = struct.unpack_from(">H", data, at)
        if fmt == 12:
            return _format12(data, at)
        if fmt == 4:
            return _format4(data, at)
    raise ValueError("font has no Unicode cmap in format 4 or 12")


def _format12(data: bytes, at: int) -> set[int]:
    (groups,) = struct.unpack_from(">I", data, at + 12)
    out: set[int] = set()
    for g in range(groups):
        start, end, glyph = struct.unpack_from(">III", data, at + 16 + 12 * g)
        first = start + (1 if glyph == 0 else 0)  # glyph 0 is .notdef: not a real glyph
        out.update(range(first, end + 1))
    return out


def _format4(data: bytes, at: int) -> set[int]:
    (seg_x2,) = struct.unpack_from(">H", data, at + 6)
    seg = seg_x2 // 2
    ends_at = at + 14
    starts_at = ends_at + seg_x2 + 2
    deltas_at = starts_at + seg_x2
    ranges_at = deltas_at + seg_x2
    out: set[int] = set()
    for i in range(seg):
        (end,) = struct.unpack_from(">H", data, ends_at + 2 * i)
        (start,) = struct.unpack_from(">H", data, starts_at + 2 * i)
        (delta,) = struct.unpack_from(">h", data, deltas_at + 2 * i)
        (range_offset,) = struct.unpack_from(">H", data, ranges_at + 2 * i)
        for c in range(start, end + 1):
            if c == 0xFFFF:
                continue
            if range_offset == 0:
                glyph = (c + delta) & 0xFFFF
            else:
                where = ranges_at + 2 * i + range_offset + 2 * (c - start)
                (glyph,) = struct.unpack_from(">H", data, where)
                if glyph:
                    glyph = (glyph + delta) & 0xFFFF
            if glyph:
                out.add(c)
    return out
