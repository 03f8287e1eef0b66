"""The quiz in chat, end to end on Zalo and on Messenger: one question at a time, the server's
timer (the handlers' clock is the test's), the score, the prize."""

from __future__ import annotations

from bot.handlers.games_common import QuizAnswer
from loyalty.models import Play, Voucher
from tests.bot.handlers.test_games_support import (  # noqa: F401  (fixtures by name)
    ChatUser,
    GameApp,
    Out,
    fixture_channel,
    fixture_winning_app,
    fixture_winning_app_both,
)

QUIZ = "quiz"


def is_question(out: Out) -> bool:
    return out.has("quiz:")


async def start_quiz(user: ChatUser) -> Out:
    """Menu → quiz → start; returns the first question (the message with the options)."""
    mark = user.mark
    await user.say("menu")
    menu = await user.expect(lambda o: o.has(f"game:{QUIZ}"), after=mark, what="the menu")
    mark = user.mark
    await user.tap(menu.tap(f"game:{QUIZ}"))
    intro = await user.expect(lambda o: o.has(f"play:{QUIZ}"), after=mark, what="the intro")
    assert intro.tap(f"play:{QUIZ}").title == user.app.content.texts.game_quiz_start_button
    mark = user.mark
    await user.tap(intro.tap(f"play:{QUIZ}"))
    question = await user.expect(is_question, after=mark, what="question 1")
    card = await user.expect(lambda o: o.image is not None, after=mark, what="question card")
    assert await user.app.media(card.image or "") == (200, "image/png")
    return question


def options(app: GameApp, question: Out) -> tuple[str, list[tuple[QuizAnswer, str]]]:
    """(the question as asked, [(the parsed option payload, its title)]) of one question."""
    game = app.content.game(QUIZ)
    assert game is not None and game.quiz is not None
    (asked,) = [q.question for q in game.quiz.questions if q.question in question.text]
    found = [(QuizAnswer.unpack(t.payload), t.title) for t in question.taps]
    return asked, found


def pick(app: GameApp, question: Out, *, right: bool) -> tuple[str, str]:
    """The tap payload of the right (or a wrong) option, and the right option's text."""
    game = app.content.game(QUIZ)
    assert game is not None and game.quiz is not None
    asked, found = options(app, question)
    bank = next(q for q in game.quiz.questions if q.question == asked)
    correct = bank.options[bank.correct]
    for data, title in found:
        if (data.option == bank.correct) == right:
            assert title.startswith("ABCD"[data.option] + ".")
            return data.pack(), correct
    raise AssertionError("no such option")


async def answer(user: ChatUser, question: Out, payload: str) -> int:
    mark = user.mark
    (tap,) = [t for t in question.taps if t.payload == payload]
    await user.tap(tap)
    return mark


async def test_right_answers_win_the_prize_then_no_plays_left(
    winning_app_both: GameApp, channel: str
) -> None:
    app = winning_app_both
    texts = app.content.texts
    user = app.user(channel)
    q1 = await start_quiz(user)
    assert {d.position for d, _ in options(app, q1)[1]} == {0}

    payload, _ = pick(app, q1, right=True)
    mark = await answer(user, q1, payload)
    await user.expect(lambda o: o.text == texts.quiz_correct, after=mark, what="correct")
    q2 = await user.expect(is_question, after=mark, what="question 2")
    assert {d.position for d, _ in options(app, q2)[1]} == {1}
    assert options(app, q2)[0] != options(app, q1)[0]

    payload, _ = pick(app, q2, right=True)
    mark = await answer(user, q2, payload)
    score = app.content.render(texts.quiz_result, title="Đố vui cà phê", score=2, total=2)
    final = await user.expect(lambda o: o.text.startswith(score), after=mark, what="the score")
    (voucher,) = await Voucher.filter(source="prize").all()
    assert voucher.code in final.text
    assert "Voucher 30K" in final.text
    (play,) = await Play.all()
    assert play.status == "done" and play.is_win and play.prize_id == "v30k"

    # A second tap on the last answer gives the same result, not a second prize.
    mark = await answer(user, q2, payload)
    await user.expect(lambda o: voucher.code in o.text, after=mark, what="the same prize")
    assert await Voucher.all().count() == 1

    # One quiz a day.
    mark = user.mark
    await user.say("menu")
    menu = await user.expect(lambda o: o.has(f"game:{QUIZ}"), after=mark, what="the menu")
    mark = user.mark
    await user.tap(menu.tap(f"game:{QUIZ}"))
    head = texts.game_no_plays_left.split("{")[0]
    await user.expect(lambda o: o.text.startswith(head), after=mark, what="no plays left")


async def test_a_late_answer_counts_wrong(winning_app: GameApp, channel: str) -> None:
    app = winning_app
    content = app.content
    user = app.user(channel)
    q1 = await start_quiz(user)

    # The right option, but after the 20 seconds the server allows.
    payload, correct = pick(app, q1, right=True)
    app.clock.advance(21)
    mark = await answer(user, q1, payload)
    timeout = content.render(content.texts.quiz_timeout, answer=correct)
    await user.expect(lambda o: o.text == timeout, after=mark, what="the timeout text")
    q2 = await user.expect(is_question, after=mark, what="question 2")

    # The next question has its own 20 seconds, counted from when it was sent.
    payload, _ = pick(app, q2, right=True)
    app.clock.advance(19)
    mark = await answer(user, q2, payload)
    score = content.render(content.texts.quiz_result, title="Đố vui cà phê", score=1, total=2)
    lose = content.render(
        content.texts.game_lose, title="Đố vui cà phê", prize="Chúc may mắn lần sau"
    )
    await user.expect(lambda o: o.text == f"{score}\n{lose}", after=mark, what="score 1/2")
    assert await Voucher.all().count() == 0
    (play,) = await Play.all()
    assert play.status == "done" and not play.is_win


async def test_wrong_answer_tells_the_right_one_and_leaving_resumes(
    winning_app: GameApp, channel: str
) -> None:
    app = winning_app
    content = app.content
    user = app.user(channel)
    q1 = await start_quiz(user)
    payload, correct = pick(app, q1, right=False)
    mark = await answer(user, q1, payload)
    wrong = content.render(content.texts.quiz_wrong, answer=correct)
    await user.expect(lambda o: o.text == wrong, after=mark, what="the wrong text")
    q2 = await user.expect(is_question, after=mark, what="question 2")

    # Opening the quiz again mid-way brings question 2 back (with the seconds left), and
    # uses no second play.
    app.clock.advance(5)
    mark = user.mark
    await user.say("menu")
    menu = await user.expect(lambda o: o.has(f"game:{QUIZ}"), after=mark, what="the menu")
    mark = user.mark
    await user.tap(menu.tap(f"game:{QUIZ}"))
    where = content.render(content.texts.quiz_in_progress, title="Đố vui cà phê", index=2, total=2)
    await user.expect(lambda o: o.text == where, after=mark, what="in progress")
    again = await user.expect(is_question, after=mark, what="question 2 again")
    assert options(app, again) == options(app, q2)
    asked = options(app, q2)[0]
    expected = content.render(
        content.texts.quiz_question,
        title="Đố vui cà phê",
        index=2,
        total=2,
        seconds=15,
        question=asked,
    )
    assert " ".join(expected.split()) in " ".join(again.text.split())
    assert await Play.all().count() == 1
