"""Campaign images drawn ahead: every shared image once, as cache hits for the flows, one
image per turn, and a game that fails to draw does not stop the others."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from games.config import Game
from games.render import media
from games.render.cache import RenderCache
from games.render.warm import warm_games
from tests.games.conftest import make_game, quiz_game

HINT = "Cào để mở"


def two_slice_wheel() -> Game:
    return make_game(
        prizes=[
            {"id": "v50k", "label": "Voucher 50K", "weight": 10, "stock": 5},
            {"id": "none", "label": "Chúc may mắn lần sau", "weight": 90, "stock": None},
        ]
    )


def scratch_game() -> Game:
    return make_game(id="scratch-tet", type="scratch", title="Cào thẻ Tết")


async def test_every_shared_image_is_drawn_once_and_the_flows_then_hit_the_cache(
    tmp_path: Path,
) -> None:
    cache = RenderCache(tmp_path / "media")
    wheel, scratch, quiz = two_slice_wheel(), scratch_game(), quiz_game()
    assert quiz.quiz is not None
    drawn = await warm_games(cache, [wheel, scratch, quiz], scratch_hint=HINT)
    # wheel: the face and a GIF + still per slice; scratch: the cover and a reveal per prize;
    # quiz: a card per question
    expected = 1 + 2 * len(wheel.prizes) + 1 + len(scratch.prizes) + len(quiz.quiz.questions)
    assert drawn == expected == cache.renders
    # What the chat and the Mini App ask for on a play is there already.
    await media.wheel_face(cache, wheel)
    for index in range(len(wheel.prizes)):
        spin = await media.wheel_spin(cache, wheel, index)
        assert not spin.gif.rendered and spin.gif.path.is_file()
    assert not (await media.scratch_cover(cache, scratch, hint=HINT)).rendered
    assert not (await media.scratch_reveal(cache, scratch, scratch.prizes[0].id)).rendered
    assert not (await media.quiz_card(cache, quiz, 0)).rendered
    assert cache.renders == expected
    # A second pass (another process, or a reload that changed nothing) draws nothing.
    assert (
        await warm_games(RenderCache(tmp_path / "media"), [wheel, scratch], scratch_hint=HINT) == 0
    )


async def test_each_image_takes_a_turn_and_a_broken_game_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    turns = 0

    @asynccontextmanager
    async def turn() -> AsyncIterator[None]:
        nonlocal turns
        turns += 1
        yield

    async def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(media, "wheel_face", broken)
    cache = RenderCache(tmp_path / "media")
    scratch = scratch_game()
    with caplog.at_level(logging.ERROR, logger="games.render.warm"):
        drawn = await warm_games(cache, [two_slice_wheel(), scratch], scratch_hint=HINT, turn=turn)
    assert "images of game lucky-wheel not drawn ahead" in caplog.text
    assert drawn == 1 + len(scratch.prizes)  # the scratch card was still drawn
    assert turns == 1 + (1 + len(scratch.prizes)) + 1  # the failed step, each image, the end
