from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from games import quiz
from games.config import Game
from tests.games.conftest import make_game, quiz_game

T0 = datetime(2025, 1, 29, 8, 0, tzinfo=UTC)


def test_pick_questions_without_replacement() -> None:
    game = quiz_game()
    for seed in range(200):
        picked = quiz.pick_questions(game, random.Random(seed))
        assert len(picked) == 3
        assert len(set(picked)) == 3
        assert all(0 <= i < 8 for i in picked)


def test_pick_questions_covers_the_bank_and_is_seeded() -> None:
    game = quiz_game()
    seen = {i for seed in range(100) for i in quiz.pick_questions(game, random.Random(seed))}
    assert seen == set(range(8))
    assert quiz.pick_questions(game, random.Random(3)) == quiz.pick_questions(
        game, random.Random(3)
    )


def test_whole_bank_when_questions_per_play_equals_bank_size() -> None:
    game = quiz_game(questions_per_play=8)
    assert sorted(quiz.pick_questions(game, random.Random(1))) == list(range(8))


def test_scoring_counts_correct_answers_only() -> None:
    game = quiz_game()
    # Question i has correct option i % 4.
    assert quiz.score(game, [0, 1, 6], [0, 1, 2]) == 3
    assert quiz.score(game, [0, 1, 6], [0, 3, 2]) == 2
    assert quiz.score(game, [0, 1, 6], [None, None, 2]) == 1
    assert quiz.score(game, [5], [0]) == 0
    assert quiz.max_score(game) == 3
    with pytest.raises(ValueError):
        quiz.score(game, [0, 1], [0])


def test_threshold_mapping_picks_the_highest_reached() -> None:
    game = quiz_game()
    assert quiz.threshold_for(game, 0) is None
    assert quiz.threshold_for(game, 1) is None
    t2 = quiz.threshold_for(game, 2)
    t3 = quiz.threshold_for(game, 3)
    assert t2 is not None and t2.prize == "small"
    assert t3 is not None and t3.prize == "big"


def test_answered_in_time_boundaries() -> None:
    assert quiz.answered_in_time(T0, T0 + timedelta(seconds=5), 20)
    assert quiz.answered_in_time(T0, T0 + timedelta(seconds=20), 20)
    assert not quiz.answered_in_time(T0, T0 + timedelta(seconds=20, microseconds=1), 20)
    assert not quiz.answered_in_time(T0, T0 - timedelta(seconds=1), 20)
    assert quiz.answered_in_time(T0, T0 + timedelta(seconds=21), 20, grace_seconds=2)
    assert not quiz.answered_in_time(T0, T0 + timedelta(seconds=23), 20, grace_seconds=2)


def test_non_quiz_game_is_rejected() -> None:
    game: Game = make_game()
    with pytest.raises(ValueError):
        quiz.pick_questions(game, random.Random(0))
