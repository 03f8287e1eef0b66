"""QR codes (zxing-cpp) as Pillow images: for the member card and the stand-alone QR media.

Modules are scaled by a whole number of pixels with no smoothing, so cameras at the till
read them as cleanly as a printed code.

Encoded by zxing-cpp's writer (C++), error correction M, the mask chosen by the standard's
penalty rules. The pure-Python encoder used before spent about 20 ms a code on that mask
choice, and a member card carries a fresh code every time (its token rotates): it was the
largest single cost of answering "thẻ thành viên" during a burst.
"""

from __future__ import annotations

import zxingcpp
from PIL import Image

from games.render.canvas import png

QUIET_ZONE = 4  # modules of white border the QR spec asks for


def qr_modules(data: str) -> Image.Image:
    """The bare symbol, one pixel per module (black on white), no quiet zone."""
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    bitmap = code.to_image(scale=1, add_quiet_zones=False)
    height, width = bitmap.shape
    return Image.frombytes("L", (width, height), bytes(memoryview(bitmap)))  # type: ignore[arg-type]  # zxingcpp.Image is a buffer


def qr_image(data: str, max_px: int, *, border: int = QUIET_ZONE) -> Image.Image:
    """The largest crisp QR (integer module size) that fits in `max_px`, as an RGB image."""
    symbol = qr_modules(data)
    modules = symbol.width + 2 * border
    scale = max(1, max_px // modules)
    framed = Image.new("L", (modules, modules), 255)
    framed.paste(symbol, (border, border))
    return framed.resize((modules * scale, modules * scale), Image.Resampling.NEAREST).convert(
        "RGB"
    )


def render_qr(data: str, *, size: int = 400) -> bytes:
    """A square white PNG of `size` pixels with the QR centred in it."""
    code = qr_image(data, size)
    img = Image.new("RGB", (size, size), (255, 255, 255))
    img.paste(code, ((size - code.width) // 2, (size - code.height) // 2))
    return png(img)
