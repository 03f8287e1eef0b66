"""Phone capture: a shared or typed number creates (or finds) the member, links the channel
identity, and gives the welcome voucher once per person."""

from __future__ import annotations

import re

from loyalty.clock import VN_TZ
from loyalty.models import Member, MemberIdentity, Voucher
from loyalty.vouchers import SOURCE_PHONE_CAPTURE
from tests.bot.handlers.conftest import Bot, fb_text, joined, zalo_payload, zalo_text

CODE = re.compile(r"mã ([A-Z2-9]{10})")


async def identities(member: Member) -> set[tuple[str, str]]:
    rows = await MemberIdentity.filter(member_id=member.id).values_list("kind", "value")
    return {(kind, value) for kind, value in rows}


async def phone_vouchers() -> list[Voucher]:
    return await Voucher.filter(source=SOURCE_PHONE_CAPTURE)


async def test_zalo_shared_phone_creates_member_and_one_voucher(bot_both: Bot) -> None:
    bot = bot_both
    user = bot.zalo.add_user("z1", "Lan")
    asked = await bot.zalo_says("z1", "#phone")
    (form,) = [m for m in asked if zalo_payload(m).get("template_type") == "request_user_info"]
    assert zalo_payload(form)["elements"][0]["image_url"].startswith("http")

    event = bot.zalo.events.user_submit_info("z1", name="Lan Nguyễn", phone="84912345678")
    sent = joined([zalo_text(m) for m in await bot.zalo_event("z1", event)])
    assert "Đã lưu số 0912345678" in sent
    (voucher,) = await phone_vouchers()
    assert f"mã {voucher.code}" in sent
    assert "20.000đ" in sent
    content = bot.runtime.content.current
    assert f"dùng đến hết {content.format_date(voucher.expires_at.astimezone(VN_TZ))}" in sent

    member = await Member.get(phone="84912345678")
    assert voucher.member_id == member.id  # type: ignore[attr-defined]
    assert await identities(member) == {
        ("zalo_oa", "z1"),
        ("zalo_app", user.user_id_by_app),
        ("phone", "84912345678"),
    }

    bot.zalo.advance(1)
    again = bot.zalo.events.user_submit_info("z1", name="Lan Nguyễn", phone="0912345678")
    sent = joined([zalo_text(m) for m in await bot.zalo_event("z1", again)])
    assert "đã được lưu rồi" in sent
    assert len(await phone_vouchers()) == 1
    assert await Member.all().count() == 1


async def test_messenger_phone_quick_reply(bot_both: Bot) -> None:
    bot = bot_both
    bot.fb.add_user("p1", "Minh")
    asked = await bot.fb_taps("p1", "phone", "Nhận quà 20K")
    quick = asked[-1].body["message"]["quick_replies"]
    assert quick == [{"content_type": "user_phone_number"}]

    shared = bot.fb.message("p1", "+84 912 345 670", quick_reply="+84912345670")
    sent = joined([fb_text(s) for s in await bot.fb_event("p1", shared)])
    (voucher,) = await phone_vouchers()
    assert f"mã {voucher.code}" in sent
    member = await Member.get(phone="84912345670")
    assert ("messenger", "p1") in await identities(member)

    shared = bot.fb.message("p1", "+84 912 345 670", quick_reply="+84912345670")
    sent = joined([fb_text(s) for s in await bot.fb_event("p1", shared)])
    assert "đã được lưu rồi" in sent
    assert len(await phone_vouchers()) == 1


async def test_typed_number_after_being_asked(bot: Bot) -> None:
    content = bot.runtime.content.current
    bot.fb.add_user("p1", "Minh")
    await bot.fb_taps("p1", "phone")

    for wrong in ("0123", "012 345 6789", "+1 415 555 0100"):
        sent = await bot.fb_says("p1", wrong)
        assert [fb_text(s) for s in sent] == [content.texts.phone_invalid]
    assert await Member.all().count() == 0

    sent = joined([fb_text(s) for s in await bot.fb_says("p1", "số mình 0912.345.671 nhé")])
    assert "Đã lưu số 0912345671" in sent
    assert CODE.search(sent)
    assert await Member.filter(phone="84912345671").count() == 1

    # No longer waiting: a number typed now is just a message.
    sent = await bot.fb_says("p1", "0912345672")
    assert not await Member.filter(phone="84912345672").exists()
    assert content.texts.phone_invalid not in joined([fb_text(s) for s in sent])


async def test_something_else_while_waiting_leaves_the_phone_flow(bot: Bot) -> None:
    bot.fb.add_user("p1", "Minh")
    await bot.fb_taps("p1", "phone")
    sent = await bot.fb_says("p1", "menu")
    assert fb_text(sent[0]).startswith("Minh ơi")
    await bot.fb_says("p1", "0912345673")
    assert not await Member.filter(phone="84912345673").exists()


async def test_one_person_on_two_channels_gets_one_voucher(bot: Bot) -> None:
    bot.zalo.add_user("z1", "Lan")
    bot.fb.add_user("p1", "Lan")
    await bot.zalo_event(
        "z1", bot.zalo.events.user_submit_info("z1", name="Lan", phone="0912345674")
    )
    shared = bot.fb.message("p1", "+84912345674", quick_reply="+84912345674")
    sent = joined([fb_text(s) for s in await bot.fb_event("p1", shared)])

    (member,) = await Member.filter(merged_into_id__isnull=True)
    kinds = {kind for kind, _ in await identities(member)}
    assert kinds == {"zalo_oa", "zalo_app", "messenger", "phone"}
    assert len(await phone_vouchers()) == 1
    assert "Đã lưu số 0912345674" in sent
    assert not CODE.search(sent)


async def test_a_pos_member_is_found_by_phone(bot: Bot) -> None:
    """Known to the shop by phone only: sharing that phone links the chat to that member."""
    from loyalty.members import get_or_create_by_phone

    pos = await get_or_create_by_phone("0912345675")
    bot.fb.add_user("p1", "Lan")
    await bot.fb_says("p1", "thẻ")  # the card creates a member from the chat identity first
    shared = bot.fb.message("p1", "0912345675", quick_reply="0912345675")
    await bot.fb_event("p1", shared)

    survivor = await Member.get(phone="84912345675")
    assert survivor.id == pos.id  # the older member survives the merge
    assert ("messenger", "p1") in await identities(survivor)
    assert len(await phone_vouchers()) == 1


async def test_someone_elses_number_is_refused(bot: Bot) -> None:
    bot.zalo.add_user("z1", "Lan")
    bot.zalo.add_user("z2", "Hoa")
    await bot.zalo_event(
        "z1", bot.zalo.events.user_submit_info("z1", name="Lan", phone="0912345676")
    )
    sent = await bot.zalo_event(
        "z2", bot.zalo.events.user_submit_info("z2", name="Hoa", phone="0912345676")
    )
    assert "đã gắn với một tài khoản khác" in joined([zalo_text(m) for m in sent])
    member = await Member.get(phone="84912345676")
    assert ("zalo_oa", "z2") not in await identities(member)
    assert len(await phone_vouchers()) == 1


async def test_invalid_shared_number(bot: Bot) -> None:
    content = bot.runtime.content.current
    bot.zalo.add_user("z1", "Lan")
    event = bot.zalo.events.user_submit_info("z1", name="Lan", phone="12345")
    sent = await bot.zalo_event("z1", event)
    assert [zalo_text(m) for m in sent] == [content.texts.phone_invalid]
    assert await Member.all().count() == 0
