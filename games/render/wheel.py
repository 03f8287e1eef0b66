"""Draw the lucky wheel: the campaign image, the landed still, and the spinning GIF.

Geometry comes from `games.wheel` so the server image and the Mini App agree on where each
slice is. The rotating part (slices, labels, rim) is drawn once per campaign version at twice
the output size and kept in memory; every frame is then just a rotation plus the fixed
pointer and hub, which keeps a 30-frame GIF well under a second of CPU. With 48 shared
colours the GIF is about 0.5-0.7 MB at 480 px (Zalo caps uploaded PNGs at 1 MB).
"""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict

from PIL import Image, ImageDraw

from games import wheel as geometry
from games.config import Game
from games.render.canvas import png
from games.render.text import RGB, Fitted, draw_block, fit, ink_on, mix, rgb

BACKGROUND = "#FFF6E5"
RIM = (196, 140, 32)
BULB = (255, 246, 214)
POINTER = (211, 47, 47)
HUB = (250, 204, 64)
WHITE = (255, 255, 255)

# Radii as fractions of the image size; the text stops before the probe radius, so the
# pixel just under the pointer tip always shows the slice colour.
R_RIM = 0.46
R_SLICES = 0.42
R_HUB = 0.085
R_TEXT_START = R_HUB + 0.03
R_TEXT_END = 0.78 * R_SLICES
R_POINTER_TIP = 0.90 * R_SLICES
R_PROBE = 0.85 * R_SLICES

_discs: OrderedDict[tuple[str, int, str], Image.Image] = OrderedDict()
_discs_lock = threading.Lock()
_DISCS_KEPT = 6


def render_wheel(game: Game, *, size: int = 800, background: str = BACKGROUND) -> bytes:
    """The campaign wheel at rest (slice 0 under the pointer), as PNG."""
    return png(_still(game, 0.0, size, background))


def render_wheel_result(
    game: Game, slice_index: int, *, size: int = 800, background: str = BACKGROUND
) -> bytes:
    """The wheel stopped with `slice_index` under the pointer, as PNG."""
    angle = geometry.landing_angle(game, slice_index)
    return png(_still(game, angle, size, background))


def render_wheel_spin(
    game: Game,
    slice_index: int,
    *,
    size: int = 480,
    frames: int = 30,
    turns: int = 3,
    frame_ms: int = 70,
    hold_ms: int = 5000,
    colors: int = 48,
    background: str = BACKGROUND,
) -> bytes:
    """An animated GIF that spins `turns` times, slows down and lands on `slice_index`.

    Ease-out cubic: fast start, long slow finish, like a real wheel. It plays once (no loop
    block) and holds the last frame. One palette, taken from the final frame (every colour
    of the wheel is in it), is shared by all frames: smaller file, no colour flicker.
    """
    if frames < 2:
        raise ValueError("a spin needs at least 2 frames")
    total = geometry.spin_rotation(game, slice_index, turns)
    disc = _disc(game, size, background)
    overlay = _overlay(size)
    bg = rgb(background)

    def frame(k: int) -> Image.Image:
        t = k / (frames - 1)
        eased = 1 - (1 - t) ** 3
        # Bilinear is enough at this speed and leaves fewer in-between colours to encode.
        img = disc.rotate(-total * eased, resample=Image.Resampling.BILINEAR, fillcolor=bg)
        img.paste(overlay, (0, 0), overlay)
        return img

    # The palette comes from the last frame, so draw that one first; then each frame is
    # reduced to the palette as soon as it is drawn: one RGB frame in memory at a time (30
    # of them were 20 MB at the peak of every spin render), the same bytes out.
    palette = frame(frames - 1).quantize(
        colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    indexed = [frame(k).quantize(palette=palette, dither=Image.Dither.NONE) for k in range(frames)]
    out = io.BytesIO()
    indexed[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=indexed[1:],
        duration=[frame_ms] * (frames - 1) + [hold_ms],
        disposal=1,
        optimize=False,
    )
    return out.getvalue()


def pointer_probe(size: int) -> tuple[int, int]:
    """The pixel just under the pointer tip: it shows the colour of the slice pointed at."""
    c = size / 2
    return (round(c), round(c - R_PROBE * size))


def _still(game: Game, angle: float, size: int, background: str) -> Image.Image:
    # Rotate at double size, then shrink: labels stay crisp at any angle.
    big = _disc_hires(game, size, background)
    turned = big.rotate(-angle, resample=Image.Resampling.BICUBIC, fillcolor=rgb(background))
    img = turned.resize((size, size), Image.Resampling.LANCZOS)
    overlay = _overlay(size)
    img.paste(overlay, (0, 0), overlay)
    return img


def _disc(game: Game, size: int, background: str) -> Image.Image:
    return _disc_hires(game, size, background).resize((size, size), Image.Resampling.LANCZOS)


def _disc_hires(game: Game, size: int, background: str) -> Image.Image:
    """The rotating part at 2x, cached per campaign version (thread-safe: renders run in
    worker threads)."""
    key = (game.version(), size, background)
    with _discs_lock:
        if key in _discs:
            _discs.move_to_end(key)
            return _discs[key]
    disc = _draw_disc(game, size * 2, rgb(background))
    with _discs_lock:
        _discs[key] = disc
        while len(_discs) > _DISCS_KEPT:
            _discs.popitem(last=False)
    return disc


def _draw_disc(game: Game, s: int, background: RGB) -> Image.Image:
    img = Image.new("RGB", (s, s), background)
    d = ImageDraw.Draw(img)
    c = s / 2
    d.ellipse(_box(c, R_RIM * s), fill=RIM)
    d.ellipse(_box(c, (R_RIM - 0.008) * s), fill=mix(RIM, (255, 215, 90), 0.35))
    r = R_SLICES * s
    parts = geometry.slices(game)
    for sl in parts:
        # PIL measures angles clockwise from 3 o'clock; ours start at 12 o'clock.
        d.pieslice(_box(c, r), sl.start - 90, sl.end - 90, fill=rgb(sl.color))
    if len(parts) > 1:
        for sl in parts:
            d.line([(c, c), _polar(c, r, sl.start)], fill=WHITE, width=max(2, s // 220))
    bulb_r = (R_RIM + R_SLICES) / 2 * s
    bulbs = 2 * len(parts) if len(parts) > 3 else 12  # on every border and slice centre
    for k in range(bulbs):
        d.ellipse(_box(_polar(c, bulb_r, k * 360 / bulbs), 0.0085 * s), fill=BULB)
    for sl in parts:
        _draw_label(img, sl, s, len(parts))
    return img


def _draw_label(img: Image.Image, sl: geometry.Slice, s: int, n: int) -> None:
    r_start, r_end = R_TEXT_START * s, R_TEXT_END * s
    half = math.radians(min(180.0 / n, 90.0))

    def roomy(f: Fitted) -> bool:
        # The slice narrows towards the hub: the block must fit where its inner end sits.
        inner = r_end - f.width
        return f.height <= 0.8 * 2 * inner * math.sin(half)

    fitted = fit(
        sl.label,
        max_width=r_end - r_start,
        max_height=0.8 * 2 * r_end * math.sin(half),
        max_size=round(0.055 * s),
        min_size=max(8, round(0.017 * s)),
        max_lines=3,
        bold=True,
        accept=roomy,
    )
    w, h = math.ceil(fitted.width) + 4, fitted.height + 4
    label = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw_block(ImageDraw.Draw(label), fitted, (w / 2, 2), ink_on(rgb(sl.color)))
    # Text runs along the radius, reading outwards, ending at r_end.
    turned = label.rotate(90 - sl.center, resample=Image.Resampling.BICUBIC, expand=True)
    cx, cy = _polar(s / 2, r_end - w / 2, sl.center)
    img.paste(turned, (round(cx - turned.width / 2), round(cy - turned.height / 2)), turned)


_overlays: dict[int, Image.Image] = {}


def _overlay(size: int) -> Image.Image:
    """Pointer and hub: they do not turn, so they are drawn once per size."""
    cached = _overlays.get(size)
    if cached is not None:
        return cached
    s = size * 2
    c = s / 2
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    tip = (c, c - R_POINTER_TIP * s)
    base_y = c - (R_RIM + 0.01) * s
    half = 0.045 * s
    outline = [(c - half, base_y), (c + half, base_y), tip]
    d.polygon(outline, fill=WHITE)
    inset = 0.008 * s
    d.polygon(
        [
            (c - half + 2 * inset, base_y + inset),
            (c + half - 2 * inset, base_y + inset),
            (c, tip[1] - 2.5 * inset),
        ],
        fill=POINTER,
    )
    d.ellipse(_box((c, base_y + 0.01 * s), 0.03 * s), fill=WHITE)
    d.ellipse(_box((c, base_y + 0.01 * s), 0.022 * s), fill=POINTER)
    d.ellipse(_box(c, (R_HUB + 0.012) * s), fill=WHITE)
    d.ellipse(_box(c, R_HUB * s), fill=HUB)
    d.ellipse(_box(c, R_HUB * 0.45 * s), fill=mix(HUB, RIM, 0.6))
    small = img.resize((size, size), Image.Resampling.LANCZOS)
    _overlays[size] = small
    return small


def _box(center: float | tuple[float, float], radius: float) -> list[float]:
    cx, cy = center if isinstance(center, tuple) else (center, center)
    return [cx - radius, cy - radius, cx + radius, cy + radius]


def _polar(
    center: float | tuple[float, float], radius: float, clock_deg: float
) -> tuple[float, float]:
    """The point at `radius` from `center`, at a clock angle (degrees from 12, clockwise)."""
    cx, cy = center if isinstance(center, tuple) else (center, center)
    a = math.radians(clock_deg)
    return (cx + radius * math.sin(a), cy - radius * math.cos(a))
