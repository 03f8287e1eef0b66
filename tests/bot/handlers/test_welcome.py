"""Welcome: follow / Get Started → greeting with the name, banner, menu; once per follow."""

from __future__ import annotations

from tests.bot.handlers.conftest import (
    Bot,
    fb_buttons,
    fb_image_urls,
    fb_text,
    joined,
    zalo_image_urls,
    zalo_text,
)

PNG = b"\x89PNG\r\n\x1a\n"


async def test_zalo_follow_greets_by_name_with_banner_and_menu(bot_both: Bot) -> None:
    bot = bot_both
    content = bot.runtime.content.current
    bot.zalo.add_user("z1", "Nguyễn Thị Lan")
    sent = await bot.zalo_event("z1", bot.zalo.events.follow("z1"))

    texts = [zalo_text(m) for m in sent]
    assert texts[0].startswith("Chào Nguyễn Thị Lan!")
    assert content.shop.name in texts[0]
    (banner,) = zalo_image_urls(sent)
    assert (await bot.image_png(banner)).startswith(PNG)
    menu = texts[-1]
    assert menu.startswith("Nguyễn Thị Lan ơi")
    for item in content.menu:  # 7 items: Zalo shows them as a numbered list
        assert item.title in menu


async def test_messenger_get_started_greets_by_name_with_banner_and_menu(bot: Bot) -> None:
    content = bot.runtime.content.current
    bot.fb.add_user("p1", "Minh", "Trần")
    sent = await bot.fb_taps("p1", "GET_STARTED", "Bắt đầu")

    assert fb_text(sent[0]).startswith("Chào Minh! ☕ Cà Phê Sữa Đá rất vui")
    (banner,) = fb_image_urls(sent)
    assert (await bot.image_png(banner)).startswith(PNG)
    buttons = [b for s in sent for b in fb_buttons(s)]
    assert sorted((b["title"], b.get("payload") or b.get("url")) for b in buttons) == sorted(
        (item.title, item.action.arg if item.action.kind == "url" else str(item.action))
        for item in content.menu
    )
    assert "Minh ơi" in joined([fb_text(s) for s in sent])


async def test_greeted_once_per_follow_and_again_after_unfollow(bot_both: Bot) -> None:
    bot = bot_both
    bot.zalo.add_user("z2", "Lan")
    first = await bot.zalo_event("z2", bot.zalo.events.follow("z2"))
    assert zalo_text(first[0]).startswith("Chào Lan!")

    bot.zalo.advance(1)  # a second follow event, not a redelivery of the first
    again = await bot.zalo_event("z2", bot.zalo.events.follow("z2"))
    assert not any("Chào Lan!" in zalo_text(m) for m in again)
    assert zalo_text(again[0]).startswith("Lan ơi")  # just the menu

    bot.zalo.advance(1)
    assert await bot.zalo_event("z2", bot.zalo.events.unfollow("z2")) == []
    bot.zalo.advance(1)
    back = await bot.zalo_event("z2", bot.zalo.events.follow("z2"))
    assert zalo_text(back[0]).startswith("Chào Lan!")


async def test_redelivered_follow_greets_once(bot: Bot) -> None:
    bot.zalo.add_user("z3", "Hoa")
    event = bot.zalo.events.follow("z3")
    assert await bot.zalo.deliver(bot.zalo_url, event, times=3) == [200, 200, 200]
    await bot.settled()
    greetings = [m for m in bot.zalo.sent_to("z3") if "Chào Hoa!" in zalo_text(m)]
    assert len(greetings) == 1


async def test_get_started_again_shows_the_menu_only(bot: Bot) -> None:
    bot.fb.add_user("p2", "Hùng")
    await bot.fb_taps("p2", "GET_STARTED")
    again = await bot.fb_taps("p2", "GET_STARTED")
    texts = joined([fb_text(s) for s in again])
    assert "Chào Hùng!" not in texts
    assert texts.startswith("Hùng ơi")


async def test_unknown_name_uses_the_fallback(bot: Bot) -> None:
    bot.fb.add_user("p3", profile_access=False)  # phone-registered: no profile
    sent = await bot.fb_taps("p3", "GET_STARTED")
    assert fb_text(sent[0]).startswith("Chào bạn!")
