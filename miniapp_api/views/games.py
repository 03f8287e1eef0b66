"""Game campaigns for the Mini App: list, detail, play, quiz answers, history.

The server decides every outcome (`loyalty.plays.play` / `loyalty.quiz`); the client only
animates to it. `Idempotency-Key` makes a play safe to retry: the first call answers 201,
a retry with the same key answers 200 with the same play and `replayed: true`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from bot.web.problems import ApiError
from games.config import Game
from games.scratch import REVEAL_FRACTION
from loyalty import plays, quiz
from loyalty.promotions.links import campaign_page_url
from loyalty.settle import result_of
from miniapp_api import schemas as s
from miniapp_api.adapters import member_plays
from miniapp_api.calls import Call
from miniapp_api.media import game_face, play_images
from miniapp_api.present import (
    game_summary,
    is_active,
    play_out,
    quiz_out,
    rules_out,
    slices_out,
)
from miniapp_api.registry import Header, Reply, api
from miniapp_api.views.member import MEMBER_ERRORS

IDEMPOTENCY = Header(
    "Idempotency-Key",
    "any unique string (≤128 characters) per intended play; a retry with the same key "
    "returns the first result (200) instead of playing again",
)
GAME_ERRORS = {**MEMBER_ERRORS, 404: ("game_not_found", "not_found")}


def _game(call: Call) -> Game:
    game = call.content.game(call.params.game_id)
    if game is None:
        raise ApiError(404, "game_not_found", f"no game {call.params.game_id!r}")
    return game


@api.route(
    "GET",
    "/v1/games",
    summary="Active game campaigns",
    tag="games",
    auth="member",
    responses={200: s.GamesOut},
    errors=MEMBER_ERRORS,
)
async def list_games(call: Call) -> Reply:
    """Campaigns inside their start/end window, in content file order, with plays left today."""
    now = datetime.now(UTC)
    items = [await game_summary(call.me, g, now) for g in call.content.games if is_active(g, now)]
    for item in items:
        item.rules_url = campaign_page_url(call.settings.PUBLIC_BASE_URL, item.id)
    return Reply(s.GamesOut(items=items))


@api.route(
    "GET",
    "/v1/games/{game_id}",
    summary="One campaign for display",
    tag="games",
    auth="member",
    params=s.GamePath,
    responses={200: s.GameOut},
    errors=GAME_ERRORS,
)
async def game_detail(call: Call) -> Reply:
    """Type, texts, window, wheel slices (index, label, colour) or scratch card, rules with
    current chances, plays left today and the next play time when none is left."""
    game = _game(call)
    now = datetime.now(UTC)
    summary = await game_summary(call.me, game, now)
    summary.rules_url = campaign_page_url(call.settings.PUBLIC_BASE_URL, game.id)
    out = s.GameOut(
        **summary.model_dump(),
        version=game.version(),
        image_url=await game_face(call.request.app, call.settings, call.content, game),
        slices=slices_out(game),
        card=None,
        rules=await rules_out(game, now),
    )
    if game.type == "scratch":
        out.card = s.ScratchCardOut(cover_url=out.image_url, reveal_fraction=REVEAL_FRACTION)
    return Reply(out)


@api.route(
    "POST",
    "/v1/games/{game_id}/plays",
    summary="Play once (a quiz: start, and get the first question)",
    tag="games",
    auth="member",
    params=s.GamePath,
    headers=(IDEMPOTENCY,),
    responses={201: s.PlayOut, 200: s.PlayOut},
    errors={
        **GAME_ERRORS,
        409: ("game_not_active",),
        422: ("invalid_input",),
        429: ("no_plays_left", "rate_limited"),
    },
)
async def play(call: Call) -> Reply:
    """201 with the result; 200 when an `Idempotency-Key` replay returns the first result.
    No plays left: 429 `no_plays_left` with `next_play_at` (and Retry-After)."""
    game = _game(call)
    key = call.header("Idempotency-Key")
    rng = secrets.SystemRandom()
    version = game.version()
    if game.type == "quiz":
        state = await quiz.start_quiz(
            call.me, game, idempotency_key=key, rng=rng, config_version=version
        )
        return Reply(quiz_out(game, state), status=200 if state.replayed else 201)
    result = await plays.play(call.me, game, idempotency_key=key, rng=rng, config_version=version)
    images = await play_images(call.request.app, call.settings, call.content, game, result)
    out = play_out(game, result, images, replayed=result.replayed)
    return Reply(out, status=200 if result.replayed else 201)


@api.route(
    "POST",
    "/v1/games/{game_id}/plays/{play_id}/answers",
    summary="Answer the current quiz question",
    tag="games",
    auth="member",
    params=s.PlayPath,
    body=s.AnswerIn,
    responses={200: s.PlayOut},
    errors={
        **GAME_ERRORS,
        404: ("game_not_found", "play_not_found", "not_found"),
        409: ("quiz_finished", "quiz_out_of_order"),
        422: ("validation_error",),
    },
)
async def answer(call: Call) -> Reply:
    """Answers go in order; an answer after the question's deadline counts as wrong. Returns
    the next question, or the final result with the prize after the last one. Re-sending an
    answered `question_index` returns the current state unchanged."""
    game = _game(call)
    if game.type != "quiz":
        raise ApiError(404, "play_not_found", f"{game.id} is not a quiz")
    body: s.AnswerIn = call.body
    state = await quiz.answer_quiz(
        call.params.play_id, body.question_index, body.option, game=game, member=call.me
    )
    return Reply(quiz_out(game, state))


@api.route(
    "GET",
    "/v1/games/{game_id}/plays/{play_id}",
    summary="One of the member's plays (e.g. to resume a quiz)",
    tag="games",
    auth="member",
    params=s.PlayPath,
    responses={200: s.PlayOut},
    errors={**GAME_ERRORS, 404: ("game_not_found", "play_not_found", "not_found")},
)
async def play_detail(call: Call) -> Reply:
    game = _game(call)
    record = await plays.get_play(call.params.play_id, member=call.me)
    if record.game_id != game.id:
        raise ApiError(404, "play_not_found", f"no play {call.params.play_id} of {game.id}")
    if record.game_type == "quiz":
        state = await quiz.quiz_state(record.id, member=call.me)
        return Reply(quiz_out(game, state, record.created_at))
    return Reply(play_out(game, await result_of(record, replayed=False)))


@api.route(
    "GET",
    "/v1/games/{game_id}/plays",
    summary="The member's plays of this game, newest first",
    tag="games",
    auth="member",
    params=s.GamePath,
    query=s.LimitQuery,
    responses={200: s.PlaysOut},
    errors={**GAME_ERRORS, 400: ("invalid_query",)},
)
async def history(call: Call) -> Reply:
    game = _game(call)
    items = []
    for record in await member_plays(call.me, game.id, limit=call.query.limit):
        if record.game_type == "quiz":
            state = await quiz.quiz_state(record.id, member=call.me)
            items.append(quiz_out(game, state, record.created_at))
        else:
            items.append(play_out(game, await result_of(record, replayed=False)))
    return Reply(s.PlaysOut(items=items))
