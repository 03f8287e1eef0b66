from __future__ import annotations

import math
import random
import secrets
from collections import Counter

import pytest

from games.config import Game
from games.draw import (
    Outcome,
    draw,
    draw_quiz_prize,
    effective_weights,
    outcome_for,
    pick_index,
    win_chances,
)
from tests.games.conftest import make_game, quiz_game

ALL = {"v50k", "v20k", "tea"}
N = 20_000


def _counts(game: Game, available: object, seed: int = 1234, n: int = N) -> Counter[str]:
    rng = random.Random(seed)
    return Counter(draw(game, rng, available).prize_id for _ in range(n))  # type: ignore[arg-type]


def _within_binomial(count: int, n: int, p: float, sigmas: float = 4.5) -> bool:
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 1e-9


def test_weights_hold_statistically(game: Game) -> None:
    counts = _counts(game, ALL)
    total = sum(p.weight for p in game.prizes)
    for prize in game.prizes:
        p = prize.weight / total
        assert _within_binomial(counts[prize.id], N, p), (prize.id, counts[prize.id], N * p)


def test_sold_out_prize_weight_falls_to_no_prize(game: Game) -> None:
    counts = _counts(game, {"v50k", "v20k"})  # the tea ran out of stock
    assert counts["tea"] == 0
    assert _within_binomial(counts["none"], N, 0.70)
    assert _within_binomial(counts["v50k"], N, 0.10)  # the others do not get luckier
    assert _within_binomial(counts["v20k"], N, 0.20)


def test_capped_prize_in_a_mapping_is_never_drawn(game: Game) -> None:
    counts = _counts(game, {"v50k": True, "v20k": False, "tea": True}, n=5000)
    assert counts["v20k"] == 0
    assert counts["none"] > 0 and counts["v50k"] > 0 and counts["tea"] > 0


def test_prize_missing_from_the_mapping_counts_as_unavailable(game: Game) -> None:
    counts = _counts(game, {"v50k": True}, n=3000)
    assert set(counts) == {"v50k", "none"}


def test_everything_sold_out_always_loses(game: Game) -> None:
    rng = random.Random(7)
    outcomes = {draw(game, rng, set()) for _ in range(500)}
    assert {o.prize_id for o in outcomes} == {"none"}
    assert all(not o.is_win and o.slice_index == 3 for o in outcomes)


def test_outcome_records_the_roll_and_can_be_replayed(game: Game) -> None:
    rng = random.Random(99)
    for _ in range(200):
        out = draw(game, rng, {"v50k", "tea"})
        assert 0.0 <= out.roll < 1.0
        assert pick_index(effective_weights(game, {"v50k", "tea"}), out.roll) == out.slice_index
        assert game.prizes[out.slice_index].id == out.prize_id
        assert out.is_win == (out.prize_id != "none")


def test_same_seed_same_sequence_and_outcome_is_frozen(game: Game) -> None:
    a = [draw(game, random.Random(5), ALL) for _ in range(3)]
    b = [draw(game, random.Random(5), ALL) for _ in range(3)]
    assert a == b
    with pytest.raises(AttributeError):
        a[0].prize_id = "v50k"  # type: ignore[misc]


def test_system_random_is_accepted(game: Game) -> None:
    out = draw(game, secrets.SystemRandom(), ALL)
    assert out.prize_id in {p.id for p in game.prizes}


def test_zero_weight_prize_is_never_picked_even_at_the_edges() -> None:
    game = make_game(
        prizes=[
            {"id": "zero", "label": "Không", "weight": 0, "stock": 5},
            {"id": "a", "label": "A", "weight": 1, "stock": 5},
            {"id": "none", "label": "Trượt", "weight": 1, "stock": None},
            {"id": "tail", "label": "Đuôi", "weight": 0, "stock": 5},
        ]
    )
    weights = effective_weights(game, {"zero", "a", "tail"})
    assert pick_index(weights, 0.0) == 1
    assert pick_index(weights, 0.4999) == 1
    assert pick_index(weights, 0.5) == 2
    assert pick_index(weights, math.nextafter(1.0, 0.0)) == 2


def test_win_chances_sum_to_one(game: Game) -> None:
    chances = win_chances(game, {"v50k"})
    assert math.isclose(sum(chances.values()), 1.0)
    assert chances == pytest.approx({"v50k": 0.1, "v20k": 0.0, "tea": 0.0, "none": 0.9})


def test_quiz_prize_from_thresholds() -> None:
    game = quiz_game()
    avail = {"big", "small"}
    assert draw_quiz_prize(game, 3, avail) == Outcome("big", True, 0, None)
    assert draw_quiz_prize(game, 2, avail) == Outcome("small", True, 1, None)
    assert draw_quiz_prize(game, 1, avail) == Outcome("none", False, 2, None)
    assert draw_quiz_prize(game, 0, avail).prize_id == "none"


def test_quiz_sold_out_threshold_prize_gives_no_prize() -> None:
    game = quiz_game()
    assert draw_quiz_prize(game, 3, {"small"}).prize_id == "none"
    assert draw_quiz_prize(game, 2, {"big": True, "small": False}).prize_id == "none"


def test_outcome_for_rebuilds_a_stored_outcome(game: Game) -> None:
    assert outcome_for(game, "tea", 0.5) == Outcome("tea", True, 2, 0.5)
    with pytest.raises(KeyError):
        outcome_for(game, "nope")
