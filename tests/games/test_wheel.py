from __future__ import annotations

import itertools
import random

import pytest

from games import wheel
from games.config import Game
from tests.games.conftest import make_game


def _game(n: int) -> Game:
    prizes = [
        {"id": f"p{i}", "label": f"Quà {i}", "weight": 1, "stock": None if i == 0 else 3}
        for i in range(n)
    ]
    return make_game(prizes=prizes)


def test_slice_index_is_config_order(game: Game) -> None:
    assert [wheel.slice_index(game, p.id) for p in game.prizes] == [0, 1, 2, 3]
    assert [s.prize_id for s in wheel.slices(game)] == ["v50k", "v20k", "tea", "none"]
    with pytest.raises(KeyError):
        wheel.slice_index(game, "missing")


def test_slices_tile_the_circle(game: Game) -> None:
    parts = wheel.slices(game)
    assert parts[0].center == 0
    for a, b in itertools.pairwise(parts):
        assert a.end == pytest.approx(b.start)
    assert parts[-1].end - parts[0].start == pytest.approx(360)


@pytest.mark.parametrize("n", [2, 3, 4, 6, 7, 12])
def test_landing_angle_puts_the_slice_under_the_pointer(n: int) -> None:
    game = _game(n)
    rng = random.Random(n)
    for i in range(n):
        angle = wheel.landing_angle(game, i)
        assert 0 <= angle < 360
        assert wheel.slice_at_pointer(game, angle) == i
        offset = rng.uniform(-0.4, 0.4)
        spun = wheel.spin_rotation(game, i, turns=5, offset=offset)
        assert spun >= 5 * 360
        assert wheel.slice_at_pointer(game, spun) == i


def test_landing_angle_is_deterministic_and_checked(game: Game) -> None:
    assert wheel.landing_angle(game, 1) == wheel.landing_angle(game, 1) == 270.0
    assert wheel.landing_angle(game, 0) == 0.0
    with pytest.raises(IndexError):
        wheel.landing_angle(game, 4)
    with pytest.raises(ValueError):
        wheel.landing_angle(game, 0, offset=0.5)


def test_prize_color_wins_over_the_palette() -> None:
    game = make_game(
        prizes=[
            {"id": "a", "label": "A", "weight": 1, "stock": 1, "color": "#12ab34"},
            {"id": "none", "label": "B", "weight": 1, "stock": None},
        ]
    )
    assert wheel.slice_color(game, 0) == "#12AB34"
    assert wheel.slice_color(game, 1) == wheel.DEFAULT_PALETTE[1]


@pytest.mark.parametrize("n", range(2, 26))
def test_neighbouring_default_colours_differ(n: int) -> None:
    colours = [s.color for s in wheel.slices(_game(n))]
    for i in range(n):
        assert colours[i] != colours[(i + 1) % n], (n, i)
