from __future__ import annotations

import random

import pytest

from games import scratch
from games.draw import draw
from tests.games.conftest import make_game


def test_deal_draws_before_reveal_like_any_draw() -> None:
    game = make_game(id="scratch-tet", type="scratch")
    for seed in range(50):
        card = scratch.deal(game, random.Random(seed), {"v50k", "tea"})
        assert card.outcome == draw(game, random.Random(seed), {"v50k", "tea"})
        assert card.prize_label == game.prize(card.outcome.prize_id).label
        assert card.outcome.prize_id != "v20k"


def test_deal_refuses_other_game_types() -> None:
    with pytest.raises(ValueError):
        scratch.deal(make_game(), random.Random(0), set())


def test_reveal_threshold() -> None:
    assert not scratch.should_reveal(0.49)
    assert scratch.should_reveal(scratch.REVEAL_FRACTION)
    assert scratch.should_reveal(1.0)
