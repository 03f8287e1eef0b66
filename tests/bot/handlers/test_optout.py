"""The opt-out / opt-in chat words: with or without accents, any case; a consent record and a
confirmation from the content file; replies still work afterwards."""

from __future__ import annotations

import pytest

from bot.handlers.optout import word_of
from bot.models import Contact
from loyalty.models import ConsentRecord, Member
from tests.bot.handlers.conftest import Bot, fb_text, zalo_text


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("stop", "opt_out"),
        ("STOP", "opt_out"),
        ("Dừng", "opt_out"),
        ("dung", "opt_out"),
        ("  Hủy nhận tin! ", "opt_out"),
        ("huy nhan tin", "opt_out"),
        ("Nhận tin", "opt_in"),
        ("NHAN TIN", "opt_in"),
        ("dừng lại đi", None),  # the whole message only
        ("stop it", None),
        ("nhận tin nhắn", None),
    ],
)
def test_words(typed: str, word: str | None) -> None:
    assert word_of(typed) == word


async def test_opt_in_then_out_on_zalo_records_consent(bot: Bot) -> None:
    bot.zalo.add_user("z1", "Lan")
    content = bot.runtime.content.current
    sent = await bot.zalo_says("z1", "Nhận tin")
    assert zalo_text(sent[-1]) == content.render(content.outreach.opt_in_reply)
    contact = await Contact.get(user_id="z1")
    member = await Member.get(id=contact.member_id)
    assert member.marketing_opt_in is True

    bot.zalo.advance(1)
    sent = await bot.zalo_says("z1", "DỪNG")
    assert zalo_text(sent[-1]) == content.render(content.outreach.opt_out_reply)
    member = await Member.get(id=member.id)
    assert member.marketing_opt_in is False
    rows = await ConsentRecord.filter(member_id=member.id).order_by("id")
    assert [(r.purpose, r.granted, r.channel, r.method) for r in rows] == [
        ("marketing", True, "zalo", "chat_word"),
        ("marketing", False, "zalo", "chat_word"),
    ]
    assert rows[1].text == content.render(content.outreach.opt_out_reply)

    bot.zalo.advance(1)
    sent = await bot.zalo_says("z1", "#card")  # replies still work after an opt-out
    assert sent


async def test_opt_out_on_messenger_without_accents(bot: Bot) -> None:
    bot.fb.add_user("p1", "Minh")
    content = bot.runtime.content.current
    sent = await bot.fb_says("p1", "huy nhan tin")
    assert fb_text(sent[-1]) == content.render(content.outreach.opt_out_reply)
    contact = await Contact.get(user_id="p1")
    (row,) = await ConsentRecord.filter(member_id=contact.member_id)
    assert (row.granted, row.channel) == (False, "messenger")
