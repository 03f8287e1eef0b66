"""Privacy in chat: a shared phone is a consent record with the texts that asked for it; an
erased person who writes again is a new member, with no trace of the old chat."""

from __future__ import annotations

from bot.models import Contact, InboxEvent
from bot.personal_data import erase_person
from loyalty.models import ConsentRecord, Member
from tests.bot.handlers.conftest import Bot


async def test_a_shared_phone_records_the_purpose_it_was_asked_for(bot: Bot) -> None:
    bot.zalo.add_user("z1", "Lan")
    await bot.zalo_says("z1", "#phone")
    event = bot.zalo.events.user_submit_info("z1", name="Lan Nguyễn", phone="84912345678")
    await bot.zalo_event("z1", event)

    member = await Member.get(phone="84912345678")
    (row,) = await ConsentRecord.filter(member_id=member.id)
    assert (row.purpose, row.granted, row.channel, row.method) == (
        "membership_phone",
        True,
        "zalo",
        "phone_share",
    )
    content = bot.runtime.content.current
    assert content.text("phone_request_subtitle") in row.text  # the purpose, as shown
    assert "Lan" not in row.text  # no personal data in the evidence
    assert member.marketing_opt_in is False  # a phone is not a marketing opt-in


async def test_an_erased_chat_user_who_writes_again_is_new(bot: Bot) -> None:
    bot.zalo.add_user("z2", "Hoa")
    await bot.zalo_says("z2", "#phone")
    event = bot.zalo.events.user_submit_info("z2", name="Hoa", phone="84912345679")
    await bot.zalo_event("z2", event)
    old = await Member.get(phone="84912345679")

    await erase_person(old)
    assert await Contact.filter(user_id="z2").count() == 0
    assert await InboxEvent.filter(user_id="z2").count() == 0

    bot.zalo.advance(1)
    await bot.zalo_says("z2", "#card")
    contact = await Contact.get(user_id="z2")
    assert contact.member_id is not None and contact.member_id != old.id
    fresh = await Member.get(id=contact.member_id)
    assert fresh.phone is None and fresh.points_balance == 0
    assert (await Member.get(id=old.id)).erased_at is not None
