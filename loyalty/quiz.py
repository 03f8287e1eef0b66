"""Quiz plays: questions sampled and timed on the server, prize by score through the same claim.

`start_quiz` uses a play (same limits and idempotency as the wheel) and stores a snapshot of
the sampled questions, so editing the content file mid-quiz cannot change a running quiz.
Each question's issue time is stored when it is shown: the first at start, the next when the
previous one is answered. An answer later than `seconds_per_question` counts as wrong. The
last answer scores the quiz and settles the threshold prize via `loyalty.settle`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from games.config import Game
from games.draw import draw_quiz_prize
from games.quiz import answered_in_time, pick_questions, spec
from loyalty.clock import utcnow, vn_date
from loyalty.errors import PlayNotFound, QuizFinished, QuizOutOfOrder, WrongGameType
from loyalty.members import resolve
from loyalty.models import Member, Play, QuizAttempt
from loyalty.play_rows import play_rows
from loyalty.plays import check_key, check_limits_locked, check_window, find_play, get_play
from loyalty.settle import PlayResult, claim_outcome, result_of, write_play_rows
from loyalty.stock import available_ids, snapshot
from loyalty.txn import lock_member, retry_on_conflict


@dataclass(frozen=True, slots=True)
class QuizQuestionView:
    position: int  # 0-based position in this play
    question: str
    options: list[str]
    issued_at: datetime
    deadline: datetime


@dataclass(frozen=True, slots=True)
class QuizState:
    play_id: int
    game_id: str
    total: int
    answered: list[bool] = field(default_factory=list)  # correctness so far, in order
    current: QuizQuestionView | None = None  # the question to answer now, None when done
    score: int | None = None
    result: PlayResult | None = None  # set when finished
    replayed: bool = False

    @property
    def finished(self) -> bool:
        return self.result is not None


def _state(play: Play, attempt: QuizAttempt, *, replayed: bool = False) -> QuizState:
    position = len(attempt.answers)
    current = None
    if play.status != "done" and position < len(attempt.questions):
        q = attempt.questions[position]
        issued = datetime.fromisoformat(attempt.issued_at[position])
        current = QuizQuestionView(
            position,
            q["question"],
            list(q["options"]),
            issued,
            issued + timedelta(seconds=attempt.seconds_per_question),
        )
    return QuizState(
        play_id=play.id,
        game_id=play.game_id,
        total=len(attempt.questions),
        answered=[bool(a["correct"]) for a in attempt.answers],
        current=current,
        score=attempt.score,
        replayed=replayed,
    )


async def _full_state(play: Play, *, replayed: bool, now: datetime) -> QuizState:
    attempt = await QuizAttempt.get(play_id=play.id)
    state = _state(play, attempt, replayed=replayed)
    if play.status == "done":
        result = await result_of(play, replayed=replayed, now=now)
        return QuizState(**{**_as_kwargs(state), "result": result})
    return state


def _as_kwargs(state: QuizState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in QuizState.__dataclass_fields__}


async def start_quiz(
    member: Member,
    game: Game,
    *,
    idempotency_key: str | None,
    rng: random.Random,
    now: datetime | None = None,
    config_version: str | None = None,
) -> QuizState:
    """Use one play and issue the first question (a retry with the same key resumes it)."""
    if game.type != "quiz":
        raise WrongGameType(f"game {game.id} is not a quiz")
    quiz = spec(game)
    key = check_key(idempotency_key)
    now = now or utcnow()
    member = await resolve(member)

    async def attempt() -> QuizState:
        found = await find_play(member.id, game.id, key)
        if found is not None:
            return await _full_state(found, replayed=True, now=now)
        check_window(game, now)
        async with in_transaction():
            locked = await lock_member(member.id)
            found = await find_play(locked.id, game.id, key)
            if found is not None:
                return await _full_state(found, replayed=True, now=now)
            await check_limits_locked(locked.id, game, now)
            indexes = pick_questions(game, rng)
            questions = [
                {
                    "index": i,
                    "question": quiz.questions[i].question,
                    "options": list(quiz.questions[i].options),
                    "correct": quiz.questions[i].correct,
                }
                for i in indexes
            ]
            play = await Play.create(
                member_id=locked.id,
                game_id=game.id,
                game_type="quiz",
                game_version=config_version or game.version(),
                idempotency_key=key,
                day=vn_date(now),
                status="open",
                created_at=now,
            )
            record = await QuizAttempt.create(
                play_id=play.id,
                questions=questions,
                issued_at=[now.isoformat()] + [None] * (len(questions) - 1),
                answers=[],
                seconds_per_question=quiz.seconds_per_question,
            )
            return _state(play, record)

    return await retry_on_conflict(attempt)


async def answer_quiz(
    play_id: int,
    question_index: int,
    option: int | None,
    *,
    game: Game,
    now: datetime | None = None,
    member: Member | None = None,
) -> QuizState:
    """Answer the question at `question_index` (0-based, in order).

    Re-sending an answered position returns the current state unchanged (a client retry).
    Skipping ahead raises `QuizOutOfOrder`, answering after the end raises `QuizFinished`.
    The last answer settles the prize for the score (`games.draw.draw_quiz_prize`).
    """
    now = now or utcnow()
    first = await get_play(play_id, member=member)
    if first.game_id != game.id or first.game_type != "quiz":
        raise PlayNotFound(f"play {play_id} is not a play of quiz {game.id}")
    async with in_transaction():
        locked = await lock_member(first.member_id)  # type: ignore[attr-defined]
        play = await Play.get(id=first.id)
        attempt = await QuizAttempt.get(play_id=play.id)
        position = len(attempt.answers)
        if question_index < position:
            return await _full_state(play, replayed=True, now=now)
        if play.status == "done":
            raise QuizFinished(f"play {play.id} is finished")
        if question_index > position:
            raise QuizOutOfOrder(f"answer question {position} first")
        q = attempt.questions[position]
        issued = datetime.fromisoformat(attempt.issued_at[position])
        in_time = answered_in_time(issued, now, attempt.seconds_per_question)
        correct = in_time and option is not None and option == q["correct"]
        answers = [
            *attempt.answers,
            {"option": option, "correct": correct, "late": not in_time, "at": now.isoformat()},
        ]
        issued_at = list(attempt.issued_at)
        if position + 1 < len(attempt.questions):
            issued_at[position + 1] = now.isoformat()
            await QuizAttempt.filter(id=attempt.id).update(answers=answers, issued_at=issued_at)
            attempt.answers, attempt.issued_at = answers, issued_at
            return _state(play, attempt)
        score = sum(1 for a in answers if a["correct"])
        await QuizAttempt.filter(id=attempt.id).update(answers=answers, score=score)
        await _settle(locked, game, play, score, answers, now)
    play = await Play.get(id=play_id)
    return await _full_state(play, replayed=False, now=now)


async def _settle(
    member: Member, game: Game, play: Play, score: int, answers: list[Any], now: datetime
) -> None:
    day = vn_date(now)
    snap = await snapshot(game, day)
    available = available_ids(snap)
    drawn = draw_quiz_prize(game, score, available)
    final = await claim_outcome(game, drawn, available, day)
    rows = play_rows(
        member.id, member.member_code, game, version=play.game_version,
        key=play.idempotency_key, day=play.day, drawn=drawn, final=final, snap=snap,
        rng=None, now=now, detail={"score": score, "answers": answers}, play_id=play.id,
    )  # fmt: skip
    await write_play_rows(rows)


async def quiz_state(
    play_id: int, *, member: Member | None = None, now: datetime | None = None
) -> QuizState:
    """The quiz as it stands (for a client that reloads the page)."""
    play = await get_play(play_id, member=member)
    return await _full_state(play, replayed=False, now=now or utcnow())
