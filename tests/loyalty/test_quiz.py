from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from loyalty import quiz
from loyalty.errors import NoPlaysLeft, PlayNotFound, QuizFinished, QuizOutOfOrder, WrongGameType
from loyalty.models import Award, DrawLog
from loyalty.quiz import QuizState
from loyalty.stock import totals
from tests.loyalty.conftest import make_game, make_quiz, new_member, vn

NOW = vn(2025, 3, 1, 10)


def correct_option(state: QuizState, game) -> int:
    assert state.current is not None
    q = next(q for q in game.quiz.questions if q.question == state.current.question)
    return q.correct


async def test_full_quiz_wins_through_the_claim(db: str) -> None:
    game = make_quiz()
    member = await new_member()
    state = await quiz.start_quiz(
        member, game, idempotency_key="q1", rng=random.Random(1), now=NOW
    )
    assert state.total == 3 and state.current is not None and state.current.position == 0
    assert state.current.deadline == NOW + timedelta(seconds=20)
    t = NOW
    for i in range(3):
        t += timedelta(seconds=5)
        state = await quiz.answer_quiz(
            state.play_id, i, correct_option(state, game), game=game, now=t
        )
    assert state.finished and state.score == 3 and state.answered == [True, True, True]
    assert state.result is not None and state.result.is_win and state.result.prize_id == "v20k"
    assert state.result.voucher is not None and state.result.voucher.value == 20_000
    assert (await totals("quiz", "v20k")).remaining == 4  # type: ignore[union-attr]
    log = await DrawLog.get(play_id=state.play_id)
    assert (
        log.detail["score"] == 3 and log.roll is None and log.available["v20k"]["remaining"] == 5
    )
    with pytest.raises(QuizFinished):
        await quiz.answer_quiz(state.play_id, 3, 0, game=game, now=t)
    replay = await quiz.answer_quiz(state.play_id, 2, 0, game=game, now=t)
    assert replay.replayed and replay.result is not None and replay.result.play_id == state.play_id
    with pytest.raises(NoPlaysLeft):
        await quiz.start_quiz(member, game, idempotency_key="q2", rng=random.Random(), now=t)


async def test_late_answers_are_wrong_and_order_is_enforced(db: str) -> None:
    game = make_quiz()
    member = await new_member()
    state = await quiz.start_quiz(member, game, idempotency_key="q", rng=random.Random(2), now=NOW)
    with pytest.raises(QuizOutOfOrder):
        await quiz.answer_quiz(state.play_id, 1, 0, game=game, now=NOW)
    late = NOW + timedelta(seconds=21)
    state = await quiz.answer_quiz(
        state.play_id, 0, correct_option(state, game), game=game, now=late
    )
    assert state.answered == [False]
    assert state.current is not None and state.current.issued_at == late
    t = late + timedelta(seconds=3)
    state = await quiz.answer_quiz(state.play_id, 1, correct_option(state, game), game=game, now=t)
    wrong = (correct_option(state, game) + 1) % 3
    state = await quiz.answer_quiz(state.play_id, 2, wrong, game=game, now=t)
    assert state.answered == [False, True, False]
    assert state.score == 1 and state.result is not None and not state.result.is_win
    assert await Award.all().count() == 0


async def test_start_is_idempotent_and_typed(db: str) -> None:
    game = make_quiz()
    member = await new_member()
    states = await asyncio.gather(
        *(
            quiz.start_quiz(member, game, idempotency_key="same", rng=random.Random(i), now=NOW)
            for i in range(3)
        )
    )
    assert len({s.play_id for s in states}) == 1
    again = await quiz.start_quiz(
        member, game, idempotency_key="same", rng=random.Random(), now=NOW
    )
    assert again.replayed and again.current == states[0].current
    with pytest.raises(WrongGameType):
        await quiz.start_quiz(
            member, make_game(), idempotency_key="w", rng=random.Random(), now=NOW
        )
    other = await new_member(2)
    with pytest.raises(PlayNotFound):
        await quiz.answer_quiz(states[0].play_id, 0, 0, game=game, now=NOW, member=other)
