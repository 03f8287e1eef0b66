"""The admin's edits apply without a restart, a broken edit changes nothing, and the default
reply is rate-limited per person."""

from __future__ import annotations

from tests.bot.handlers.conftest import (
    Bot,
    ContentFile,
    fb_buttons,
    fb_text,
    joined,
    wait_for,
    zalo_text,
)

OLD_GREETING = "Chào {name}! ☕ Cảm ơn bạn đã quan tâm {shop}."


async def test_edited_greeting_is_used_without_restart(
    bot: Bot, content_file: ContentFile
) -> None:
    store = bot.runtime.content
    version = store.version
    content_file.replace(OLD_GREETING, "Xin chào {name}, {shop} có quà mới!")
    await wait_for(lambda: store.version > version, what="the edit to be loaded")

    bot.zalo.add_user("z1", "Lan")
    sent = await bot.zalo_event("z1", bot.zalo.events.follow("z1"))
    assert zalo_text(sent[0]).startswith("Xin chào Lan, Cà Phê Sữa Đá có quà mới!")


async def test_edited_menu_and_keywords_apply_at_once(bot: Bot, content_file: ContentFile) -> None:
    store = bot.runtime.content
    version = store.version
    content_file.replace(
        '{title: "Giờ mở cửa", action: "text:opening-hours"}',
        '{title: "Mấy giờ mở", action: "text:opening-hours"}',
    )
    content_file.replace('"bắt đầu", "start"', '"bắt đầu", "khai trương", "start"')
    await wait_for(lambda: store.version > version, what="the edit to be loaded")

    bot.fb.add_user("p1", "Lan")
    sent = await bot.fb_says("p1", "khai truong")
    titles = [b["title"] for s in sent for b in fb_buttons(s)]
    assert titles[-1] == "Mấy giờ mở"


async def test_broken_edit_keeps_the_last_good_content(
    bot: Bot, content_file: ContentFile
) -> None:
    store = bot.runtime.content
    good = content_file.read()
    old = "Chào Lan! ☕ Cảm ơn bạn đã quan tâm Cà Phê Sữa Đá."

    content_file.replace(OLD_GREETING, "Chào {nam}! A typo in a placeholder.")
    await wait_for(lambda: store.problems, what="the broken edit to be noticed")
    bot.zalo.add_user("z1", "Lan")
    sent = await bot.zalo_event("z1", bot.zalo.events.follow("z1"))
    assert zalo_text(sent[0]).startswith(old)

    first_problems = list(store.problems)
    content_file.write(good.replace("menu:", "menu: [oops", 1))
    await wait_for(lambda: store.problems != first_problems, what="the YAML error")
    bot.zalo.add_user("z2", "Lan")
    sent = await bot.zalo_event("z2", bot.zalo.events.follow("z2"))
    assert zalo_text(sent[0]).startswith(old)
    assert store.version == 1

    content_file.write(good.replace(OLD_GREETING, "Mừng {name} trở lại!"))
    await wait_for(lambda: store.version == 2, what="the fixed file to be loaded")
    bot.zalo.add_user("z3", "Lan")
    sent = await bot.zalo_event("z3", bot.zalo.events.follow("z3"))
    assert zalo_text(sent[0]).startswith("Mừng Lan trở lại!")


async def test_default_reply_is_rate_limited(bot_both: Bot) -> None:
    bot = bot_both
    content = bot.runtime.content.current
    expected = content.render(content.default_reply.text, name="Lan")
    bot.fb.add_user("p1", "Lan")

    first = await bot.fb_says("p1", "hôm nay trời đẹp quá")
    assert fb_text(first[0]) == expected
    assert [b["title"] for s in first for b in fb_buttons(s)] == [i.title for i in content.menu]

    assert await bot.fb_says("p1", "mình hỏi chút") == []
    assert await bot.fb_event("p1", bot.fb.message("p1", attachments=[_sticker()])) == []

    bot.fb.add_user("p2", "Hoa")  # the limit is per person
    other = await bot.fb_says("p2", "alo")
    assert fb_text(other[0]) == content.render(content.default_reply.text, name="Hoa")

    # Keywords still answer during the cooldown.
    menu = await bot.fb_says("p1", "menu")
    assert fb_text(menu[0]).startswith("Lan ơi")


async def test_default_reply_cooldown_is_configurable(bot: Bot, content_file: ContentFile) -> None:
    store = bot.runtime.content
    version = store.version
    content_file.replace("cooldown_seconds: 3600", "cooldown_seconds: 0")
    await wait_for(lambda: store.version > version, what="the edit to be loaded")
    bot.zalo.add_user("z1", "Lan")
    for said in ("abc", "xyz"):
        sent = await bot.zalo_says("z1", said)
        assert "Mình chưa hiểu ý Lan lắm" in joined([zalo_text(m) for m in sent])


async def test_zalo_chat_now_shows_the_menu_once_per_cooldown(bot: Bot) -> None:
    bot.zalo.add_user("z1", "Lan")
    sent = await bot.zalo_event("z1", bot.zalo.events.user_click_chatnow("z1"))
    assert zalo_text(sent[0]).startswith("Lan ơi")
    bot.zalo.advance(1)
    assert await bot.zalo_event("z1", bot.zalo.events.user_click_chatnow("z1")) == []


def _sticker() -> dict[str, object]:
    return {
        "type": "image",
        "payload": {"url": "https://example.com/s.png", "sticker_id": 369239263222822},
    }
