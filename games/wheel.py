"""Wheel geometry shared by the server renderer and the Mini App animation.

Slices are the prizes in config order, all the same angle. Angles are in degrees, clockwise
from 12 o'clock, where the pointer sits. At rotation 0 the centre of slice 0 is under the
pointer; rotating the wheel clockwise by `landing_angle(game, i)` brings slice i there. The
server draws the outcome first (`games.draw`); the client only animates to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from games.config import Game

# Saturated colours that stay readable under white text (yellow gets dark text); neighbours
# differ in hue so slices never blend.
DEFAULT_PALETTE: tuple[str, ...] = (
    "#E53935",
    "#FB8C00",
    "#FDD835",
    "#43A047",
    "#1E88E5",
    "#8E24AA",
    "#00ACC1",
    "#D81B60",
)


@dataclass(frozen=True, slots=True)
class Slice:
    """One slice for display: what the API sends to the Mini App and the renderer draws."""

    index: int
    prize_id: str
    label: str
    color: str
    start: float
    end: float

    @property
    def center(self) -> float:
        return (self.start + self.end) / 2


def slice_count(game: Game) -> int:
    return len(game.prizes)


def slice_width(game: Game) -> float:
    return 360.0 / slice_count(game)


def slice_index(game: Game, prize_id: str) -> int:
    """The slice of a prize: its position in config order (stable for a campaign version)."""
    for i, prize in enumerate(game.prizes):
        if prize.id == prize_id:
            return i
    raise KeyError(f"game {game.id!r} has no prize {prize_id!r}")


def slice_color(game: Game, index: int) -> str:
    """The prize's own colour, or the palette; never the same default as either neighbour."""
    own = game.prizes[index].color
    if own:
        return own.upper()
    n = slice_count(game)
    pal = DEFAULT_PALETTE
    if n > 1 and index == n - 1 and index % len(pal) == 0:
        # The last slice would repeat the first one's colour next to it: take another.
        return pal[1]
    return pal[index % len(pal)]


def slices(game: Game) -> list[Slice]:
    """All slices with their angles at rotation 0."""
    w = slice_width(game)
    return [
        Slice(i, p.id, p.label, slice_color(game, i), i * w - w / 2, i * w + w / 2)
        for i, p in enumerate(game.prizes)
    ]


def landing_angle(game: Game, slice_index: int, offset: float = 0.0) -> float:
    """Clockwise rotation in [0, 360) that puts slice `slice_index` under the pointer.

    `offset` in [-0.5, 0.5] moves the landing point off the slice centre by that fraction of
    a slice (a client may add a little jitter so every landing does not look identical);
    keep it well inside ±0.5 so the pointer never rests on a border.
    """
    n = slice_count(game)
    if not 0 <= slice_index < n:
        raise IndexError(f"slice {slice_index} out of range for {n} slices")
    if not -0.5 < offset < 0.5:
        raise ValueError("offset must be inside (-0.5, 0.5)")
    center = (slice_index + offset) * slice_width(game)
    return (-center) % 360.0


def spin_rotation(game: Game, slice_index: int, turns: int = 5, offset: float = 0.0) -> float:
    """Total clockwise rotation from rest for an animation of `turns` full turns + landing."""
    if turns < 0:
        raise ValueError("turns must be >= 0")
    return turns * 360.0 + landing_angle(game, slice_index, offset)


def slice_at_pointer(game: Game, rotation: float) -> int:
    """Which slice is under the pointer after rotating the wheel clockwise by `rotation`."""
    w = slice_width(game)
    # The point under the pointer started at clock angle -rotation on the unrotated wheel.
    return int(((-rotation + w / 2) % 360.0) // w) % slice_count(game)
