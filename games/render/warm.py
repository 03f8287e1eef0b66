"""Draw every shared image of the campaigns ahead of time, so the first players wait for none.

A campaign's images (the wheel, its spin landing on each slice, the scratch cover and
reveals, the quiz cards) are the same for every player of a campaign version, and the
first play of each used to draw it on the spot: about 0.7 s for a spin GIF here, during
exactly the minute a flash sale starts, with the drawing thread holding the interpreter
lock against the webhook acknowledgements. The process that runs the handlers draws them
once after start and after each content reload, one image at a time and, during a burst,
only in the handlers' turns. Per-member images (cards, codes) cannot be drawn ahead.

The keys are exactly the ones the flows ask for (`games.render.media`), so a warmed image is
a cache hit for the chat and the Mini App alike (they share `DATA_DIR/media`).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, nullcontext

from games.config import Game
from games.render import media
from games.render.cache import RenderCache

log = logging.getLogger("games.render.warm")

Turn = Callable[[], AbstractAsyncContextManager[None]]
READY = "campaign images ready:"  # the log line that ends a pass (the benchmark waits for it)


async def _images(cache: RenderCache, game: Game, scratch_hint: str) -> AsyncIterator[None]:
    """Each image of `game`, drawn (or found) one per step."""
    if game.type == "wheel":
        await media.wheel_face(cache, game)
        yield
        for index in range(len(game.prizes)):
            await media.wheel_spin(cache, game, index)
            yield
    elif game.type == "scratch":
        await media.scratch_cover(cache, game, hint=scratch_hint)
        yield
        for prize in game.prizes:
            await media.scratch_reveal(cache, game, prize.id)
            yield
    elif game.type == "quiz" and game.quiz is not None:
        for index in range(len(game.quiz.questions)):
            await media.quiz_card(cache, game, index)
            yield


async def warm_games(
    cache: RenderCache, games: Iterable[Game], *, scratch_hint: str, turn: Turn | None = None
) -> int:
    """Draw what is missing; returns how many images were drawn (hits are not counted).

    `turn` wraps each image (the handlers' `HandlerTurns.turn`): warming is handler work and
    waits its turn while webhooks are under pressure. A game whose images fail is logged and
    skipped; its players get the image drawn on demand, as before.
    """
    before = cache.renders
    for game in games:
        steps = _images(cache, game, scratch_hint)
        while True:
            try:
                async with turn() if turn is not None else nullcontext():
                    await anext(steps)
            except StopAsyncIteration:
                break
            except Exception:
                log.exception("images of game %s not drawn ahead", game.id)
                break
    drawn = cache.renders - before
    if drawn:
        _give_back_memory()
    log.info("%s %d image(s) drawn ahead of the first players", READY, drawn)
    return drawn


def _give_back_memory() -> None:
    """Hand the drawing's freed memory back to the system (glibc keeps freed heap for later
    use: after a warm-up the process stayed about 35 MB larger than it needed to be)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)
