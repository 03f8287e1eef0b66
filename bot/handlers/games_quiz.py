"""The quiz in chat: one question at a time, timed by the server, then the score and prize.

Every option button carries `quiz:<play>:<position>:<option>`, so the chat needs no state of
its own: the play in the database knows which question is open and when it was issued
(`loyalty.quiz`). An answer after `seconds_per_question` counts as wrong and is told so with
`quiz_timeout`. A player who leaves mid-quiz gets the open question back (with the seconds
left) instead of a second play.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.core.messages import Button, Image, OutboundMessage, Text
from bot.handlers.games_common import (
    PlayGame,
    QuizAnswer,
    button,
    idempotency_key,
    member_of,
    menu_button,
    no_plays_left,
    not_active,
    result_buttons,
    result_text,
    rules_button,
    unavailable,
)
from bot.handlers.games_wheel import intro_text
from games.config import Game
from games.render.media import quiz_card
from games.render.quiz import LETTERS
from loyalty import plays
from loyalty.errors import (
    GameNotActive,
    NoPlaysLeft,
    PlayNotFound,
    QuizFinished,
    QuizOutOfOrder,
)
from loyalty.models import Member, Play, QuizAttempt
from loyalty.quiz import QuizState, answer_quiz, quiz_state, start_quiz

if TYPE_CHECKING:
    from bot.handlers.context import Chat

OPTION_TITLE_MAX = 20  # a button / quick reply title on both platforms


async def open_play(member: Member, game: Game) -> Play | None:
    """This member's unfinished play of this quiz, if any (the newest)."""
    return (
        await Play.filter(member_id=member.id, game_id=game.id, game_type="quiz", status="open")
        .order_by("-id")
        .first()
    )


async def show(chat: Chat, game: Game) -> None:
    """The intro and a start button; an unfinished quiz is resumed instead."""
    moment = chat.services.now()
    member = await member_of(chat)
    running = await open_play(member, game)
    if running is not None:
        await resume(chat, game, running.id, member, moment)
        return
    try:
        plays.check_window(game, moment)
    except GameNotActive:
        await not_active(chat, game)
        return
    try:
        await plays.check_limits_locked(member.id, game, moment)
    except NoPlaysLeft as exc:
        await no_plays_left(chat, game, exc)
        return
    left = await plays.plays_left(member, game, moment)
    buttons = (
        button(chat.content, "game_quiz_start_button", PlayGame(game=game.id).pack()),
        rules_button(chat, game),
        menu_button(chat.content),
    )
    await chat.send(Text(text=await intro_text(chat, game, left), buttons=buttons))


async def start(chat: Chat, game: Game) -> None:
    """Use a play and send the first question (a redelivered press resumes the same play)."""
    moment = chat.services.now()
    member = await member_of(chat)
    running = await open_play(member, game)
    if running is not None:
        await resume(chat, game, running.id, member, moment)
        return
    try:
        state = await start_quiz(
            member, game, idempotency_key=idempotency_key(chat), rng=chat.services.rng, now=moment
        )
    except GameNotActive:
        await not_active(chat, game)
        return
    except NoPlaysLeft as exc:
        await no_plays_left(chat, game, exc)
        return
    if state.finished:
        await chat.send(await final_message(chat, game, state, member, moment))
        return
    attempt = await QuizAttempt.get(play_id=state.play_id)
    await chat.send(*await question_messages(chat, game, state, attempt, moment))


async def answer(chat: Chat, data: QuizAnswer) -> None:
    moment = chat.services.now()
    member = await member_of(chat)
    try:
        record = await plays.get_play(data.play, member=member)
    except PlayNotFound:
        await unavailable(chat)
        return
    game = chat.content.game(record.game_id)
    if game is None or game.type != "quiz":
        await unavailable(chat)
        return
    try:
        state = await answer_quiz(
            data.play, data.position, data.option, game=game, now=moment, member=member
        )
    except QuizFinished:
        state = await quiz_state(data.play, member=member, now=moment)
    except QuizOutOfOrder:
        await resume(chat, game, data.play, member, moment)
        return
    if state.replayed or data.position >= len(state.answered):
        # A second tap on an answered question: the first answer stands.
        if state.finished:
            await chat.send(await final_message(chat, game, state, member, moment))
        else:
            await resume(chat, game, data.play, member, moment)
        return
    attempt = await QuizAttempt.get(play_id=state.play_id)
    messages: list[OutboundMessage] = [await feedback(chat, attempt, data.position)]
    if state.finished:
        messages.append(await final_message(chat, game, state, member, moment))
    else:
        messages += await question_messages(chat, game, state, attempt, moment)
    await chat.send(*messages)


async def resume(chat: Chat, game: Game, play_id: int, member: Member, moment: datetime) -> None:
    state = await quiz_state(play_id, member=member, now=moment)
    if state.finished or state.current is None:
        await chat.send(await final_message(chat, game, state, member, moment))
        return
    attempt = await QuizAttempt.get(play_id=play_id)
    where = await chat.text(
        "quiz_in_progress", title=game.title, index=state.current.position + 1, total=state.total
    )
    await chat.send(Text(text=where), *await question_messages(chat, game, state, attempt, moment))


async def feedback(chat: Chat, attempt: QuizAttempt, position: int) -> Text:
    """Right, wrong (with the right answer) or too late (with the right answer)."""
    given: dict[str, Any] = attempt.answers[position]
    question: dict[str, Any] = attempt.questions[position]
    right = question["options"][question["correct"]]
    if given.get("late"):
        return Text(text=await chat.text("quiz_timeout", answer=right))
    if given.get("correct"):
        return Text(text=await chat.text("quiz_correct", answer=right))
    return Text(text=await chat.text("quiz_wrong", answer=right))


async def question_messages(
    chat: Chat, game: Game, state: QuizState, attempt: QuizAttempt, moment: datetime
) -> list[OutboundMessage]:
    """The question card (when the bank still has this question) and the options."""
    current = state.current
    if current is None:
        return []
    out: list[OutboundMessage] = []
    bank_index = _bank_index(game, attempt.questions[current.position])
    if bank_index is not None:
        card = await quiz_card(chat.services.media.cache, game, bank_index)
        out.append(Image(url=chat.services.media.url(card)))
    seconds = max(0, int((current.deadline - moment).total_seconds()))
    text = await chat.text(
        "quiz_question",
        title=game.title,
        index=current.position + 1,
        total=state.total,
        seconds=seconds,
        question=current.question,
    )
    options = tuple(
        Button(
            title=_option_title(i, option),
            payload=QuizAnswer(play=state.play_id, position=current.position, option=i).pack(),
        )
        for i, option in enumerate(current.options)
    )
    out.append(Text(text=text, quick_replies=options))
    return out


async def final_message(
    chat: Chat, game: Game, state: QuizState, member: Member, moment: datetime
) -> Text:
    score = state.score if state.score is not None else sum(state.answered)
    lines = [await chat.text("quiz_result", title=game.title, score=score, total=state.total)]
    left = await plays.plays_left(member, game, moment)
    if state.result is None:  # cannot happen for a finished play; keep the menu reachable
        return Text(text=lines[0], buttons=(menu_button(chat.content),))
    lines.append(await result_text(chat, game, state.result))
    buttons = result_buttons(chat.content, game, state.result, left)
    return Text(text="\n".join(lines), buttons=buttons)


def _bank_index(game: Game, snapshot: dict[str, Any]) -> int | None:
    """The snapshot's position in the current bank, if the admin has not edited it since."""
    if game.quiz is None:
        return None
    index = snapshot.get("index")
    bank = game.quiz.questions
    if not isinstance(index, int) or not 0 <= index < len(bank):
        return None
    q = bank[index]
    if q.question != snapshot.get("question") or list(q.options) != snapshot.get("options"):
        return None
    return index


def _option_title(index: int, option: str) -> str:
    title = f"{LETTERS[index]}. {option.strip()}"
    if len(title) > OPTION_TITLE_MAX:
        title = title[: OPTION_TITLE_MAX - 1].rstrip() + "…"
    return title
