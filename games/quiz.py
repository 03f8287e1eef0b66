"""Quiz rules: which questions a play gets, how answers score, and the server-side timer.

The server samples the questions and keeps the issue time of each one; the client only
shows them. An answer counts when it is correct and arrived within the time limit, so a
player who lets the page sit cannot look answers up. Score → prize is `games.draw`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from games.config import Game, QuizQuestion, QuizSpec, ScoreThreshold


def spec(game: Game) -> QuizSpec:
    if game.quiz is None:
        raise ValueError(f"game {game.id!r} is not a quiz")
    return game.quiz


def pick_questions(game: Game, rng: random.Random) -> list[int]:
    """Indexes into the question bank for one play, without replacement, in play order."""
    quiz = spec(game)
    return rng.sample(range(len(quiz.questions)), quiz.questions_per_play)


def question(game: Game, index: int) -> QuizQuestion:
    return spec(game).questions[index]


def is_correct(game: Game, question_index: int, choice: int | None) -> bool:
    """None stands for "no answer" (skipped or too late) and is never correct."""
    return choice is not None and choice == question(game, question_index).correct


def score(game: Game, question_indexes: Sequence[int], choices: Sequence[int | None]) -> int:
    """One point per correct answer; the caller passes None for answers that came too late."""
    if len(choices) != len(question_indexes):
        raise ValueError(f"{len(choices)} answers for {len(question_indexes)} questions")
    return sum(is_correct(game, q, c) for q, c in zip(question_indexes, choices, strict=True))


def max_score(game: Game) -> int:
    return spec(game).questions_per_play


def answered_in_time(
    issued_at: datetime,
    answered_at: datetime,
    seconds_per_question: float,
    *,
    grace_seconds: float = 0.0,
) -> bool:
    """True when the answer arrived within the limit (plus an optional network grace).

    An answer stamped before its question was issued is a clock error or a forgery: rejected.
    Both times must be aware (or both naive) datetimes from the server's clock.
    """
    elapsed = (answered_at - issued_at).total_seconds()
    return 0 <= elapsed <= seconds_per_question + grace_seconds


def threshold_for(game: Game, points: int) -> ScoreThreshold | None:
    """The highest threshold whose `min_score` the score reaches, if any."""
    reached = [t for t in spec(game).thresholds if points >= t.min_score]
    return max(reached, key=lambda t: t.min_score, default=None)
