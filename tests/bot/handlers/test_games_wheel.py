"""The lucky wheel in chat, end to end on Zalo and on Messenger through the fake platforms."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.core.events import PayloadEvent
from loyalty.models import MemberIdentity, Play, Voucher
from tests.bot.handlers.test_games_support import (  # noqa: F401  (fixtures by name)
    ChatUser,
    GameApp,
    Out,
    fixture_channel,
    fixture_ended_app,
    fixture_losing_app,
    fixture_winning_app,
    fixture_winning_app_both,
)

WHEEL = "lucky-wheel"


async def open_wheel(user: ChatUser) -> tuple[Out, Out]:
    """Menu → the wheel's menu button → (the message with the image, the one with "spin")."""
    mark = user.mark
    await user.say("menu")
    menu = await user.expect(lambda o: o.has(f"game:{WHEEL}"), after=mark, what="the menu")
    mark = user.mark
    await user.tap(menu.tap(f"game:{WHEEL}"))
    image = await user.expect(lambda o: o.image is not None, after=mark, what="the wheel")
    spin = await user.expect(lambda o: o.has(f"play:{WHEEL}"), after=mark, what="spin button")
    return image, spin


def no_plays_text(app: GameApp) -> str:
    content = app.content
    next_play = content.format_datetime(datetime(2025, 11, 23, 0, 0))  # the next VN midnight
    assert next_play.startswith("00:00")
    return content.render(
        content.texts.game_no_plays_left, title="Vòng quay may mắn", next_play_at=next_play
    )


async def plays_of(channel: str, user_id: str) -> list[Play]:
    kind = {"zalo": "zalo_oa", "messenger": "messenger"}[channel]
    identity = await MemberIdentity.get(kind=kind, value=user_id)
    return await Play.filter(member_id=identity.member_id).all()  # type: ignore[attr-defined]


async def test_menu_wheel_spin_wins_a_voucher_then_no_plays_left(
    winning_app_both: GameApp, channel: str
) -> None:
    app = winning_app_both
    user = app.user(channel)
    image, spin_msg = await open_wheel(user)
    assert await app.media(image.image or "") == (200, "image/png")
    assert app.content.texts.game_spin_button in [t.title for t in spin_msg.taps]
    rules = [url for title, url in spin_msg.links if title == app.content.texts.button_rules]
    assert [u.rsplit("/", 2)[-2:] for u in rules] == [["promotions", WHEEL]]  # the public page

    mark = user.mark
    await user.tap(spin_msg.tap(f"play:{WHEEL}"))
    gif = await user.expect(lambda o: o.image is not None, after=mark, what="the spin GIF")
    assert (gif.image or "").endswith(".gif")
    assert await app.media(gif.image or "") == (200, "image/gif")
    vouchers = await Voucher.filter(source="prize").all()
    assert len(vouchers) == 1
    code = vouchers[0].code
    result = await user.expect(lambda o: code in o.text, after=mark, what="the voucher code")
    assert "Voucher 50K" in result.text
    assert result.has("menu")
    assert len(await plays_of(channel, user.user_id)) == 1

    # The same day again: a friendly "come back at 00:00" instead of a second play.
    mark = user.mark
    await user.tap(spin_msg.tap(f"play:{WHEEL}"))
    expected = no_plays_text(app)
    await user.expect(lambda o: o.text == expected, after=mark, what="no plays left")
    assert len(await plays_of(channel, user.user_id)) == 1
    assert await Voucher.filter(source="prize").count() == 1

    # Opening the wheel again says so at once, without the spin button.
    mark = user.mark
    await user.say("menu")
    menu = await user.expect(lambda o: o.has(f"game:{WHEEL}"), after=mark, what="the menu")
    mark = user.mark
    await user.tap(menu.tap(f"game:{WHEEL}"))
    await user.expect(lambda o: o.text == expected, after=mark, what="no plays left")


async def test_sold_out_prize_gives_the_lose_text_and_no_voucher(
    losing_app: GameApp, channel: str
) -> None:
    app = losing_app
    user = app.user(channel)
    _, spin_msg = await open_wheel(user)
    mark = user.mark
    await user.tap(spin_msg.tap(f"play:{WHEEL}"))
    gif = await user.expect(lambda o: o.image is not None, after=mark, what="the spin GIF")
    assert await app.media(gif.image or "") == (200, "image/gif")
    content = app.content
    lose = content.render(
        content.texts.game_lose, title="Vòng quay may mắn", prize="Chúc may mắn lần sau"
    )
    await user.expect(lambda o: o.text == lose, after=mark, what="the lose text")
    assert await Voucher.all().count() == 0
    (play,) = await plays_of(channel, user.user_id)
    assert play.prize_id == "none" and not play.is_win


async def test_double_tap_plays_once(winning_app: GameApp, channel: str) -> None:
    """Two taps are two platform events: the daily limit lets only one of them play."""
    app = winning_app
    user = app.user(channel)
    _, spin_msg = await open_wheel(user)
    spin = spin_msg.tap(f"play:{WHEEL}")
    mark = user.mark
    first, second = user.tap_event(spin), user.tap_event(spin)
    await asyncio.gather(user.deliver(first), user.deliver(second))
    expected = no_plays_text(app)
    await user.expect(lambda o: o.text == expected, after=mark, what="no plays left")
    (voucher,) = await Voucher.filter(source="prize").all()
    await user.expect(lambda o: voucher.code in o.text, after=mark, what="the one prize")
    assert len(await plays_of(channel, user.user_id)) == 1


async def test_replayed_press_returns_the_first_result(winning_app: GameApp, channel: str) -> None:
    """The same platform event handled twice (a redelivery that got past the inbox, or a
    crash mid-flow) plays once and answers twice with the same prize."""
    app = winning_app
    user = app.user(channel)
    await open_wheel(user)
    account = app.zalo.oa_id if channel == "zalo" else app.fb.page_id
    event = PayloadEvent(
        channel=channel,  # type: ignore[arg-type]
        account_id=account,
        user_id=user.user_id,
        event_id="tap-1",
        payload=f"play:{WHEEL}",
    )
    mark = user.mark
    await app.runtime.dispatch(event)
    await app.runtime.dispatch(event)
    (voucher,) = await Voucher.filter(source="prize").all()
    await user.expect(lambda o: voucher.code in o.text, after=mark, what="the first result")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while sum(voucher.code in o.text for o in user.outs()[mark:]) < 2:
        assert loop.time() < deadline, "the replay did not answer with the same voucher"
        await asyncio.sleep(0.05)
    assert len(await plays_of(channel, user.user_id)) == 1


async def test_ended_campaign_says_not_active(ended_app: GameApp, channel: str) -> None:
    app = ended_app
    user = app.user(channel)
    mark = user.mark
    await user.say("menu")
    menu = await user.expect(lambda o: o.has(f"game:{WHEEL}"), after=mark, what="the menu")
    mark = user.mark
    await user.tap(menu.tap(f"game:{WHEEL}"))
    content = app.content
    text = content.render(content.texts.game_not_active, title="Vòng quay may mắn")
    await user.expect(lambda o: o.text == text, after=mark, what="not active")
    assert await Play.all().count() == 0
