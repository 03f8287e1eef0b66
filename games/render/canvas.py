"""Small drawing helpers shared by the card-shaped renders (scratch, quiz, member card)."""

from __future__ import annotations

import io
import random
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw

from games.render.text import RGB, mix


def png(img: Image.Image) -> bytes:
    """PNG at zlib level 6: level 9 (`optimize`) costs twice the time for ~5% smaller files."""
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def jpeg(img: Image.Image) -> bytes:
    """JPEG at quality 90 without chroma subsampling: for photo-like cards sent in chat.

    The member card is drawn fresh for every request (its QR token rotates) and PNG's
    filtering made up most of its cost (18 ms of 23); this is 3 ms. Full-resolution colour
    keeps text edges and the QR's modules crisp (the tests read the QR back off the image),
    and the platforms recompress chat images to JPEG anyway.
    """
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90, subsampling=0)
    return out.getvalue()


def gradient(
    size: tuple[int, int], start: RGB, end: RGB, *, diagonal: bool = False
) -> Image.Image:
    """A top-to-bottom (or top-left to bottom-right) blend: computed on a small grid and
    scaled up, which is smooth and costs almost nothing at any size."""
    w, h = size
    gw = 64
    gh = max(2, round(gw * h / w))
    small = Image.new("RGB", (gw, gh))
    small.putdata(
        [
            mix(start, end, (x / (gw - 1) + y / (gh - 1)) / 2 if diagonal else y / (gh - 1))
            for y in range(gh)
            for x in range(gw)
        ]
    )
    return small.resize((w, h), Image.Resampling.BILINEAR)


def rounded(
    img: Image.Image, box: tuple[int, int, int, int], fill: Image.Image | RGB, radius: int
) -> None:
    """Paste a colour or an image into `box` with rounded corners (antialiased at 2x)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    mask = _rounded_mask(w, h, radius)
    layer = fill if isinstance(fill, Image.Image) else Image.new("RGB", (w, h), fill)
    img.paste(layer.resize((w, h)) if layer.size != (w, h) else layer, (x0, y0), mask)


@lru_cache(maxsize=64)
def _rounded_mask(w: int, h: int, radius: int) -> Image.Image:
    """The antialiased corner mask; the same few boxes recur in every card (read-only)."""
    mask = Image.new("L", (w * 2, h * 2), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w * 2 - 1, h * 2 - 1), radius * 2, fill=255)
    return mask.resize((w, h), Image.Resampling.LANCZOS)


def speckle(base: Image.Image, amount: int = 14, seed: int = 7) -> Image.Image:
    """Fine grain over `base`, seeded so the same card always renders the same bytes."""
    w, h = base.size
    rng = random.Random(seed)
    raw = Image.frombytes("L", (w // 2, h // 2), rng.randbytes((w // 2) * (h // 2)))
    small = raw.point(lambda v: 128 - amount + v * (2 * amount + 1) // 256)
    grain = small.resize((w, h), Image.Resampling.NEAREST).convert("RGB")
    # Shift every pixel by (grain - 128): keeps the base's colour, adds texture.
    lighter = ImageChops.subtract(grain, Image.new("RGB", grain.size, (128,) * 3))
    darker = ImageChops.subtract(Image.new("RGB", grain.size, (128,) * 3), grain)
    return ImageChops.subtract(ImageChops.add(base, lighter), darker)
