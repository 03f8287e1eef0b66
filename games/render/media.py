"""One call per image the bot sends: cache key + renderer, run off the event loop.

Handlers call these instead of the renderers, so every key carries what the image depends on
(the campaign's `version()`, the slice, the caller's texts) and nothing is drawn twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from games.config import Game
from games.render.cache import MediaFile, RenderCache
from games.render.card import MemberCardData, render_member_card
from games.render.qr import render_qr
from games.render.quiz import render_quiz_question
from games.render.scratch import render_scratch_cover, render_scratch_reveal
from games.render.wheel import render_wheel, render_wheel_result, render_wheel_spin


@dataclass(frozen=True, slots=True)
class SpinMedia:
    """The animation to send first and the still to show (or fall back to) after it."""

    gif: MediaFile
    still: MediaFile


async def wheel_face(cache: RenderCache, game: Game, *, size: int = 800) -> MediaFile:
    """The campaign wheel at rest, shown before a spin."""
    key = ("wheel", game.id, game.version(), size)
    return await cache.aget_or_render(key, partial(render_wheel, game, size=size), "png")


async def wheel_spin(
    cache: RenderCache,
    game: Game,
    slice_index: int,
    *,
    gif_size: int = 480,
    still_size: int = 800,
) -> SpinMedia:
    """The spin landing on `slice_index`: one GIF and one still per campaign version + slice."""
    version = game.version()
    gif = await cache.aget_or_render(
        ("wheel-spin", game.id, version, slice_index, gif_size),
        partial(render_wheel_spin, game, slice_index, size=gif_size),
        "gif",
    )
    still = await cache.aget_or_render(
        ("wheel-result", game.id, version, slice_index, still_size),
        partial(render_wheel_result, game, slice_index, size=still_size),
        "png",
    )
    return SpinMedia(gif, still)


async def scratch_cover(cache: RenderCache, game: Game, *, hint: str) -> MediaFile:
    """The covered card: the same for every player of a campaign version."""
    key = ("scratch-cover", game.id, game.version(), hint)
    return await cache.aget_or_render(
        key, partial(render_scratch_cover, title=game.title, hint=hint), "png"
    )


async def scratch_reveal(
    cache: RenderCache,
    game: Game,
    prize_id: str,
    *,
    headline: str | None = None,
    voucher_line: str | None = None,
) -> MediaFile:
    """The revealed card for a prize. With a per-player `voucher_line` (a code) it is one
    file per voucher; without, one per prize."""
    prize = game.prize(prize_id)
    key = ("scratch-reveal", game.id, game.version(), prize_id, headline, voucher_line)
    render = partial(
        render_scratch_reveal,
        title=game.title,
        prize_label=prize.label,
        is_win=not prize.is_no_prize,
        headline=headline,
        voucher_line=voucher_line,
    )
    return await cache.aget_or_render(key, render, "png")


async def quiz_card(
    cache: RenderCache,
    game: Game,
    question_index: int,
    *,
    header: str | None = None,
    footer: str | None = None,
) -> MediaFile:
    """A question of the campaign's bank as a card."""
    if game.quiz is None:
        raise ValueError(f"game {game.id!r} is not a quiz")
    q = game.quiz.questions[question_index]
    key = ("quiz", game.id, game.version(), question_index, header, footer)
    render = partial(render_quiz_question, q.question, q.options, header=header, footer=footer)
    return await cache.aget_or_render(key, render, "png")


async def member_card(cache: RenderCache, card: MemberCardData) -> MediaFile:
    """A member's card; changes whenever points or tier change, so prune these files."""
    return await cache.aget_or_render(("card", card), partial(render_member_card, card), "jpg")


async def qr_code(cache: RenderCache, data: str, *, size: int = 400) -> MediaFile:
    return await cache.aget_or_render(
        ("qr", data, size), partial(render_qr, data, size=size), "png"
    )
