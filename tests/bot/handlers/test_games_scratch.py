"""The scratch card in chat, end to end on Zalo and on Messenger."""

from __future__ import annotations

from loyalty.models import Play, Voucher
from tests.bot.handlers.test_games_support import (  # noqa: F401  (fixtures by name)
    ChatUser,
    GameApp,
    Out,
    fixture_channel,
    fixture_losing_app,
    fixture_winning_app,
)

CARD = "scratch-card"


async def open_card(user: ChatUser) -> tuple[Out, Out]:
    mark = user.mark
    await user.say("menu")
    menu = await user.expect(lambda o: o.has(f"game:{CARD}"), after=mark, what="the menu")
    mark = user.mark
    await user.tap(menu.tap(f"game:{CARD}"))
    cover = await user.expect(lambda o: o.image is not None, after=mark, what="the cover")
    scratch = await user.expect(lambda o: o.has(f"play:{CARD}"), after=mark, what="Cào")
    return cover, scratch


async def test_scratch_reveals_the_prize_and_the_voucher(
    winning_app: GameApp, channel: str
) -> None:
    app = winning_app
    user = app.user(channel)
    cover, scratch = await open_card(user)
    assert await app.media(cover.image or "") == (200, "image/png")
    button = scratch.tap(f"play:{CARD}")
    assert button.title == app.content.texts.game_scratch_button

    mark = user.mark
    await user.tap(button)
    revealed = await user.expect(lambda o: o.image is not None, after=mark, what="revealed")
    assert revealed.image != cover.image
    assert await app.media(revealed.image or "") == (200, "image/png")
    (voucher,) = await Voucher.filter(source="prize").all()
    await user.expect(lambda o: voucher.code in o.text, after=mark, what="the voucher code")
    (play,) = await Play.all()
    assert play.game_id == CARD and play.is_win

    # The card is used up for today.
    mark = user.mark
    await user.tap(button)
    await user.expect(
        lambda o: o.text.startswith(app.content.texts.game_no_plays_left.split("{")[0]),
        after=mark,
        what="no plays left",
    )
    assert await Play.all().count() == 1


async def test_scratch_without_stock_reveals_the_no_prize_card(
    losing_app: GameApp, channel: str
) -> None:
    app = losing_app
    user = app.user(channel)
    cover, scratch = await open_card(user)
    mark = user.mark
    await user.tap(scratch.tap(f"play:{CARD}"))
    revealed = await user.expect(lambda o: o.image is not None, after=mark, what="revealed")
    assert revealed.image != cover.image
    content = app.content
    lose = content.render(
        content.texts.game_lose, title="Cào thẻ trúng quà", prize="Chúc may mắn lần sau"
    )
    await user.expect(lambda o: o.text == lose, after=mark, what="the lose text")
    assert await Voucher.all().count() == 0
