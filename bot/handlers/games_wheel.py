"""Lucky wheel and scratch card in chat: show the game, play once, send the result.

The server draws first (`loyalty.plays.play`) and the image only shows what was decided: the
GIF lands on the won slice, the scratch card is revealed with the won prize.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.messages import Image, OutboundMessage, Text
from bot.handlers.games_common import (
    PlayGame,
    button,
    idempotency_key,
    member_of,
    menu_button,
    no_plays_left,
    not_active,
    result_buttons,
    result_text,
    rules_button,
)
from games.config import Game
from games.render.media import scratch_cover, scratch_reveal, wheel_face, wheel_spin
from loyalty import plays
from loyalty.errors import GameNotActive, NoPlaysLeft
from loyalty.settle import PlayResult

if TYPE_CHECKING:
    from bot.handlers.context import Chat

GIF_SIZE = 480  # square: Zalo needs the size of a GIF, Messenger shows it as a square card


async def intro_text(chat: Chat, game: Game, left: int) -> str:
    return await chat.text(
        "game_intro", title=game.title, description=game.description, plays_left=left
    )


async def show(chat: Chat, game: Game) -> None:
    """The wheel at rest (or the covered card), the intro and the play button."""
    moment = chat.services.now()
    try:
        plays.check_window(game, moment)
    except GameNotActive:
        await not_active(chat, game)
        return
    member = await member_of(chat)
    try:
        await plays.check_limits_locked(member.id, game, moment)
    except NoPlaysLeft as exc:
        await no_plays_left(chat, game, exc)
        return
    left = await plays.plays_left(member, game, moment)
    if game.type == "wheel":
        image = await wheel_face(chat.services.media.cache, game)
        play_key = "game_spin_button"
    else:
        hint = chat.content.texts.game_scratch_button
        image = await scratch_cover(chat.services.media.cache, game, hint=hint)
        play_key = "game_scratch_button"
    buttons = (
        button(chat.content, play_key, PlayGame(game=game.id).pack()),
        rules_button(chat, game),
        menu_button(chat.content),
    )
    await chat.send(
        Image(
            url=chat.services.media.url(image),
            caption=await intro_text(chat, game, left),
            buttons=buttons,
        )
    )


async def play(chat: Chat, game: Game) -> None:
    """One play; a redelivered button press gets the first play's result again."""
    moment = chat.services.now()
    member = await member_of(chat)
    try:
        result = await plays.play(
            member,
            game,
            idempotency_key=idempotency_key(chat),
            rng=chat.services.rng,
            now=moment,
        )
    except GameNotActive:
        await not_active(chat, game)
        return
    except NoPlaysLeft as exc:
        await no_plays_left(chat, game, exc)
        return
    left = await plays.plays_left(member, game, moment)
    await chat.send(*await result_messages(chat, game, result, left))


async def result_messages(
    chat: Chat, game: Game, result: PlayResult, left: int
) -> list[OutboundMessage]:
    image: Image
    if game.type == "wheel" and 0 <= result.slice_index < len(game.prizes):
        spin = await wheel_spin(
            chat.services.media.cache, game, result.slice_index, gif_size=GIF_SIZE
        )
        image = Image(
            url=chat.services.media.url(spin.gif), gif=True, width=GIF_SIZE, height=GIF_SIZE
        )
    elif game.type == "wheel":  # the campaign was edited since: the slice may not exist
        image = Image(
            url=chat.services.media.url(await wheel_face(chat.services.media.cache, game))
        )
    else:
        prize_id = result.prize_id if any(p.id == result.prize_id for p in game.prizes) else None
        revealed = await scratch_reveal(
            chat.services.media.cache, game, prize_id or game.no_prize.id
        )
        image = Image(url=chat.services.media.url(revealed))
    text = Text(
        text=await result_text(chat, game, result),
        buttons=result_buttons(chat.content, game, result, left),
    )
    return [image, text]
