"""What every chat game flow shares: button payloads, the clock, the member, result texts.

The engine (`loyalty.plays`, `loyalty.quiz`) decides everything; this module only turns its
answers into content texts and buttons. Time, randomness and images come from the flows'
`services` (`bot.handlers.services`): a test passes its own clock or seeded RNG.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.content.schema import Content
from bot.content.templating import render_text
from bot.core import CallbackData
from bot.core.messages import Button, Text
from bot.handlers import members
from games.config import Game, Prize
from loyalty.clock import VN_TZ
from loyalty.errors import NoPlaysLeft
from loyalty.models import Member
from loyalty.promotions.links import campaign_page_url
from loyalty.settle import PlayResult
from loyalty.vouchers import VoucherView

if TYPE_CHECKING:
    from bot.handlers.context import Chat

KEY_MAX = 128  # the engine's Idempotency-Key limit


# --- payloads -------------------------------------------------------------------------------
class OpenGame(CallbackData, prefix="game"):
    """`game:<id>`: the content file's action string, so menu items and keywords reuse it."""

    game: str


class PlayGame(CallbackData, prefix="play"):
    """Spin the wheel, scratch the card, or start the quiz."""

    game: str


class QuizAnswer(CallbackData, prefix="quiz"):
    """One option of one question of one quiz play (`position` is 0-based)."""

    play: int
    position: int
    option: int


MENU_PAYLOAD = "menu"
VOUCHERS_PAYLOAD = "vouchers"


def idempotency_key(chat: Chat) -> str:
    """The platform id of the button press: a retried delivery replays the first result.

    Two taps are two platform events, hence two keys; the daily limit stops the second.
    """
    key = f"chat:{chat.event.channel}:{chat.event.event_id}"
    if len(key) > KEY_MAX:
        key = "chat:" + hashlib.sha256(key.encode()).hexdigest()
    return key


async def member_of(chat: Chat) -> Member:
    return await members.member_for(chat.event, chat.channel, config=chat.content.loyalty)


# --- texts and buttons --------------------------------------------------------------------
def button(content: Content, key: str, payload: str) -> Button:
    return Button(title=getattr(content.texts, key), payload=payload)


def menu_button(content: Content) -> Button:
    return button(content, "button_menu", MENU_PAYLOAD)


def rules_button(chat: Chat, game: Game) -> Button:
    """The campaign's public page: rules, prizes left, winners (a chance promotion's rules
    must be published: Decree 81/2018)."""
    url = campaign_page_url(chat.services.settings.PUBLIC_BASE_URL, game.id)
    return Button(title=chat.content.texts.button_rules, url=url)


def vn_datetime(content: Content, moment: datetime) -> str:
    return content.format_datetime(moment.astimezone(VN_TZ))


def vn_date(content: Content, moment: datetime) -> str:
    return content.format_date(moment.astimezone(VN_TZ))


async def not_active(chat: Chat, game: Game) -> None:
    await chat.send(
        Text(
            text=await chat.text("game_not_active", title=game.title),
            buttons=(menu_button(chat.content),),
        )
    )


async def no_plays_left(chat: Chat, game: Game, error: NoPlaysLeft) -> None:
    """Friendly, with the time of the next play in Vietnam time.

    The all-time limit has no next play; until the content file has a text for it, the
    "not running" text is the closest honest answer.
    """
    if error.next_play_at is None:
        await not_active(chat, game)
        return
    text = await chat.text(
        "game_no_plays_left",
        title=game.title,
        next_play_at=vn_datetime(chat.content, error.next_play_at),
    )
    await chat.send(Text(text=text, buttons=(menu_button(chat.content),)))


async def unavailable(chat: Chat) -> None:
    await chat.send(
        Text(text=await chat.text("unavailable"), buttons=(menu_button(chat.content),))
    )


def _prize(game: Game, prize_id: str) -> Prize | None:
    return next((p for p in game.prizes if p.id == prize_id), None)


def voucher_vars(content: Content, voucher: VoucherView) -> dict[str, Any]:
    if voucher.kind == "percent":
        value = render_text(content.texts.voucher_value_percent, percent=voucher.value)
    else:
        value = render_text(content.texts.voucher_value_amount, amount=voucher.value)
    return {
        "voucher_code": voucher.code,
        "voucher_value": value,
        "expires_at": vn_date(content, voucher.expires_at),
    }


async def result_text(chat: Chat, game: Game, result: PlayResult) -> str:
    """`game_win` with the voucher, `game_win_gift` for a prize without one, or `game_lose`."""
    prize = _prize(game, result.prize_id)
    label = prize.label if prize is not None else (result.voucher.title if result.voucher else "")
    if not result.is_win:
        label = label or game.no_prize.label
        return await chat.text("game_lose", title=game.title, prize=label)
    if result.voucher is not None:
        return await chat.text(
            "game_win", title=game.title, prize=label, **voucher_vars(chat.content, result.voucher)
        )
    return await chat.text("game_win_gift", title=game.title, prize=label, play_id=result.play_id)


def result_buttons(
    content: Content, game: Game, result: PlayResult, plays_left: int
) -> tuple[Button, ...]:
    """After a play: my vouchers (on a win), play again (when plays are left), the menu."""
    out: list[Button] = []
    if result.is_win and result.voucher is not None:
        out.append(button(content, "button_vouchers", VOUCHERS_PAYLOAD))
    if plays_left > 0:
        out.append(button(content, "button_play_again", PlayGame(game=game.id).pack()))
    out.append(menu_button(content))
    return tuple(out)
