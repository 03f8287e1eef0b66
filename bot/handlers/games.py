"""Minigames in chat (Zalo and Messenger alike): lucky wheel, scratch card, quiz.

Payloads handled here:

- `game:<id>` (the menu action): show the game: the wheel or covered card with its play
  button, or the quiz intro with a start button;
- `play:<id>`: spin, scratch or start the quiz (`games_wheel`, `games_quiz`);
- `quiz:<play>:<position>:<option>`: answer a quiz question (`games_quiz`).

`bot.handlers.actions` hands `game:<id>` actions (menu items, keywords) to this router;
code that holds a `Chat` may call `open_game(chat, game_id)` directly.
"""

from __future__ import annotations

from bot.core import Router
from bot.handlers import games_quiz, games_wheel
from bot.handlers.context import Chat, ChatMiddleware
from bot.handlers.games_common import OpenGame, PlayGame, QuizAnswer, unavailable

__all__ = [
    "OpenGame",
    "PlayGame",
    "QuizAnswer",
    "make_router",
    "open_game",
    "play_game",
    "router",
]


async def open_game(chat: Chat, game_id: str) -> None:
    """Show a game of the content file; a game that is gone gets the `unavailable` text."""
    game = chat.content.game(game_id)
    if game is None:
        await unavailable(chat)
    elif game.type == "quiz":
        await games_quiz.show(chat, game)
    else:
        await games_wheel.show(chat, game)


async def play_game(chat: Chat, game_id: str) -> None:
    """Play now: spin, scratch, or start the quiz."""
    game = chat.content.game(game_id)
    if game is None:
        await unavailable(chat)
    elif game.type == "quiz":
        await games_quiz.start(chat, game)
    else:
        await games_wheel.play(chat, game)


async def on_open(callback_data: OpenGame, chat: Chat) -> None:
    await open_game(chat, callback_data.game)


async def on_play(callback_data: PlayGame, chat: Chat) -> None:
    await play_game(chat, callback_data.game)


async def on_answer(callback_data: QuizAnswer, chat: Chat) -> None:
    await games_quiz.answer(chat, callback_data)


def make_router() -> Router:
    """A fresh games router (one per dispatcher: a router has one parent)."""
    fresh = Router(name="games")
    fresh.middleware.register(ChatMiddleware())
    fresh.payload.register(on_open, OpenGame.filter())
    fresh.payload.register(on_play, PlayGame.filter())
    fresh.payload.register(on_answer, QuizAnswer.filter())
    return fresh


router = make_router()
