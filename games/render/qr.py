"""QR codes (segno) as Pillow images: for the member card and the stand-alone QR media.

Modules are scaled by a whole number of pixels with no smoothing, so cameras at the till
read them as cleanly as a printed code.
"""

from __future__ import annotations

import segno
from PIL import Image

from games.render.canvas import png

QUIET_ZONE = 4  # modules of white border the QR spec asks for


def qr_image(data: str, max_px: int, *, border: int = QUIET_ZONE) -> Image.Image:
    """The largest crisp QR (integer module size) that fits in `max_px`, as an RGB image."""
    code = segno.make(data, error="m", micro=False)
    rows = [
        bytes(255 if v else 0 for v in row) for row in code.matrix_iter(scale=1, border=border)
    ]
    modules = len(rows)
    small = Image.frombytes("L", (modules, modules), b"".join(rows))
    small = small.point(lambda v: 255 - v)  # segno: 1 = dark module
    scale = max(1, max_px // modules)
    return small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST).convert(
        "RGB"
    )


def render_qr(data: str, *, size: int = 400) -> bytes:
    """A square white PNG of `size` pixels with the QR centred in it."""
    code = qr_image(data, size)
    img = Image.new("RGB", (size, size), (255, 255, 255))
    img.paste(code, ((size - code.width) // 2, (size - code.height) // 2))
    return png(img)
