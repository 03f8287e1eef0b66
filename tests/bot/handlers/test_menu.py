"""The menu: reachable by keywords, the OA menu bar and the persistent menu; every button,
sent back the way the platform sends it, does what its title says."""

from __future__ import annotations

import importlib.util

import pytest

from bot.content.schema import Content, MenuItem
from tests.bot.handlers.conftest import (
    Bot,
    fb_buttons,
    fb_image_urls,
    fb_text,
    joined,
    zalo_image_urls,
    zalo_payload,
    zalo_text,
)

GAMES_INSTALLED = importlib.util.find_spec("bot.handlers.games") is not None


def expect(
    content: Content, item: MenuItem, text: str, images: list[str], phone_asked: bool
) -> None:
    """What tapping `item` must have produced: the flow its title names."""
    action = item.action
    if action.kind == "card":
        assert len(images) == 1, "the card is an image"
        assert "Thẻ thành viên của" in text
    elif action.kind == "vouchers":
        assert content.texts.vouchers_empty in text
    elif action.kind == "phone":
        assert phone_asked
    elif action.kind == "text":
        reply = content.reply(action.arg)
        assert reply is not None
        assert content.render(reply.text) in text
    elif action.kind == "game":
        game = content.game(action.arg)
        assert game is not None
        if GAMES_INSTALLED:
            assert game.title in text
        else:
            assert content.texts.unavailable in text
    else:
        pytest.fail(f"menu item {item.title!r} ({action}) has no expectation")


@pytest.mark.parametrize("said", ["MENU", "bat dau", "Bắt đầu!", "  menu "])
async def test_keywords_show_the_menu_on_messenger(bot: Bot, said: str) -> None:
    content = bot.runtime.content.current
    bot.fb.add_user("p1", "Lan")
    sent = await bot.fb_says("p1", said)
    assert fb_text(sent[0]).startswith("Lan ơi")
    titles = [b["title"] for s in sent for b in fb_buttons(s)]
    assert titles == [item.title for item in content.menu]


@pytest.mark.parametrize("said", ["MENU", "bat dau"])
async def test_keywords_show_the_menu_on_zalo(bot: Bot, said: str) -> None:
    content = bot.runtime.content.current
    bot.zalo.add_user("z1", "Lan")
    (menu,) = await bot.zalo_says("z1", said)
    text = zalo_text(menu)
    assert text.startswith("Lan ơi")
    for number, item in enumerate(content.menu, 1):
        assert f"{number}. {item.title}" in text


async def test_every_menu_button_on_messenger(bot: Bot) -> None:
    content = bot.runtime.content.current
    bot.fb.add_user("p1", "Lan")
    for item in content.menu:
        # Chips vanish after the next message: show the menu again before each tap.
        menu = await bot.fb_says("p1", "menu")
        buttons = {b["title"]: b for s in menu for b in fb_buttons(s)}
        assert len(buttons) == len(content.menu)
        sent = await bot.fb_press("p1", buttons[item.title])
        asked = any(
            qr.get("content_type") == "user_phone_number"
            for s in sent
            for qr in (s.body["message"].get("quick_replies") or [])
        )
        expect(content, item, joined([fb_text(s) for s in sent]), fb_image_urls(sent), asked)


async def test_every_menu_button_on_zalo(bot: Bot) -> None:
    """Seven items are more than Zalo's five buttons: the menu is a numbered list, and the
    person answers with the number."""
    content = bot.runtime.content.current
    bot.zalo.add_user("z1", "Lan")
    for number, item in enumerate(content.menu, 1):
        await bot.zalo_says("z1", "menu")
        sent = await bot.zalo_says("z1", str(number))
        asked = any(zalo_payload(m).get("template_type") == "request_user_info" for m in sent)
        expect(content, item, joined([zalo_text(m) for m in sent]), zalo_image_urls(sent), asked)


async def test_zalo_buttons_come_back_as_hidden_queries(bot: Bot) -> None:
    """A button under a reply is an `oa.query.hide` sending `#<action>`: tapping it works."""
    bot.zalo.add_user("z1", "Lan")
    (reply,) = await bot.zalo_says("z1", "giờ mở cửa")
    (button,) = zalo_payload(reply)["buttons"]
    assert button["type"] == "oa.query.hide"
    assert button["payload"] == "#text:stores"
    sent = await bot.zalo_says("z1", button["payload"])
    assert "Chi nhánh của Cà Phê Sữa Đá" in joined([zalo_text(m) for m in sent])


@pytest.mark.parametrize("typed", ["#card", "card", "#Card "])
async def test_oa_menu_bar_commands(bot: Bot, typed: str) -> None:
    """The payload an admin types into the Zalo OA menu bar, with or without `#`."""
    bot.zalo.add_user("z1", "Lan")
    sent = await bot.zalo_says("z1", typed)
    assert len(zalo_image_urls(sent)) == 1
    assert "Thẻ thành viên của Lan" in joined([zalo_text(m) for m in sent])


async def test_persistent_menu_and_typed_commands_on_messenger(bot: Bot) -> None:
    content = bot.runtime.content.current
    bot.fb.add_user("p1", "Lan")
    sent = await bot.fb_taps("p1", "vouchers", "Ưu đãi của tôi")
    assert content.texts.vouchers_empty in joined([fb_text(s) for s in sent])
    sent = await bot.fb_says("p1", "#menu")
    assert fb_text(sent[0]).startswith("Lan ơi")


async def test_keyword_with_its_own_reply(bot: Bot) -> None:
    bot.fb.add_user("p1", "Lan")
    sent = await bot.fb_says("p1", "Pass WIFI?")
    assert "Mật khẩu Wi-Fi ở quán là caphesuada" in fb_text(sent[0])
    assert "Lan hỏi nhân viên" in fb_text(sent[0])


async def test_an_old_button_is_answered_politely(bot: Bot) -> None:
    content = bot.runtime.content.current
    bot.fb.add_user("p1", "Lan")
    for payload in ("game:gone-campaign", "text:no-such-reply", "something-else"):
        sent = await bot.fb_taps("p1", payload)
        assert fb_text(sent[0]) == content.texts.unavailable


@pytest.mark.skipif(not GAMES_INSTALLED, reason="bot/handlers/games.py is not installed")
async def test_keywords_and_oa_menu_bar_open_games(bot: Bot) -> None:
    content = bot.runtime.content.current
    bot.zalo.add_user("z1", "Lan")
    for typed, game_id in (("quay so", "lucky-wheel"), ("#game:quiz", "quiz")):
        game = content.game(game_id)
        assert game is not None
        sent = await bot.zalo_says("z1", typed)
        assert game.title in joined([zalo_text(m) for m in sent])
