from __future__ import annotations

import io

import pytest
from PIL import Image

from games import wheel
from games.config import Game
from games.render.text import rgb
from games.render.wheel import (
    pointer_probe,
    render_wheel,
    render_wheel_result,
    render_wheel_spin,
)
from tests.games.conftest import six_slice_game


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def _nearest_slice(game: Game, pixel: tuple[int, int, int]) -> tuple[int, float]:
    """The slice whose colour is nearest to `pixel`, and the distance to it."""
    dists = []
    for s in wheel.slices(game):
        c = rgb(s.color)
        dists.append((sum((a - b) ** 2 for a, b in zip(c, pixel, strict=True)) ** 0.5, s.index))
    dist, index = min(dists)
    return index, dist


@pytest.fixture(scope="module")
def game() -> Game:
    return six_slice_game()


def test_campaign_wheel_is_an_800px_png_with_slice_0_under_the_pointer(game: Game) -> None:
    img = _open(render_wheel(game))
    assert (img.format, img.size, img.mode) == ("PNG", (800, 800), "RGB")
    pixel = img.getpixel(pointer_probe(800))
    assert pixel == rgb(wheel.slice_color(game, 0))


def test_every_still_result_lands_on_its_slice(game: Game) -> None:
    for i in range(wheel.slice_count(game)):
        img = _open(render_wheel_result(game, i, size=320))
        assert img.size == (320, 320)
        index, dist = _nearest_slice(game, img.getpixel(pointer_probe(320)))
        assert (index, dist) == (i, pytest.approx(0, abs=6)), i


def test_spin_gif_lands_on_the_won_slice(game: Game) -> None:
    won = 4
    data = render_wheel_spin(game, won, size=240, frames=8, hold_ms=3000)
    img = _open(data)
    assert img.format == "GIF"
    assert img.size == (240, 240)
    assert img.n_frames == 8
    img.seek(0)
    first, _ = _nearest_slice(game, img.convert("RGB").getpixel(pointer_probe(240)))
    assert first == 0  # it starts from the wheel at rest
    img.seek(img.n_frames - 1)
    assert img.info["duration"] == 3000  # the landing is held
    index, dist = _nearest_slice(game, img.convert("RGB").getpixel(pointer_probe(240)))
    assert index == won
    assert dist < 30


def test_spin_defaults_stay_small(game: Game) -> None:
    data = render_wheel_spin(game, 2)
    img = _open(data)
    assert img.size == (480, 480)
    assert 1 < img.n_frames <= 40
    assert len(data) < 1_000_000
    img.seek(img.n_frames - 1)
    assert _nearest_slice(game, img.convert("RGB").getpixel(pointer_probe(480)))[0] == 2


def test_spin_needs_two_frames(game: Game) -> None:
    with pytest.raises(ValueError):
        render_wheel_spin(game, 0, frames=1)
