"""The member card in chat (an image plus a caption) and the voucher list."""

from __future__ import annotations

import io

from PIL import Image as PILImage

from loyalty.members import get_by_identity
from loyalty.models import Member
from loyalty.orders import record_order
from tests.bot.handlers.conftest import (
    Bot,
    fb_image_urls,
    fb_text,
    joined,
    zalo_image_urls,
    zalo_text,
)


async def test_card_arrives_as_an_image_for_a_member_without_phone(bot: Bot) -> None:
    bot.zalo.add_user("z1", "Nguyễn Thị Lan")
    sent = await bot.zalo_says("z1", "Thẻ thành viên")
    (url,) = zalo_image_urls(sent)
    card = await bot.image_png(url, kind="jpeg")  # photo-like: JPEG
    with PILImage.open(io.BytesIO(card)) as image:
        assert (image.format, image.size) == ("JPEG", (1000, 600))

    member = await get_by_identity("zalo_oa", "z1")
    assert member is not None and member.phone is None
    caption = joined([zalo_text(m) for m in sent])
    assert "Thẻ thành viên của Nguyễn Thị Lan" in caption
    assert f"Mã: {member.member_code} · Hạng Member · 0 điểm" in caption
    assert "Tích thêm 500 điểm nữa để lên hạng Silver!" in caption

    again = await bot.zalo_says("z1", "the")
    assert f"Mã: {member.member_code}" in joined([zalo_text(m) for m in again])
    assert await Member.all().count() == 1


async def test_card_shows_points_and_progress(bot: Bot) -> None:
    bot.fb.add_user("p1", "Minh")
    await bot.fb_says("p1", "điểm")
    member = await get_by_identity("messenger", "p1")
    assert member is not None
    config = bot.runtime.content.current.loyalty
    await record_order("pos-1", 15_000_000, config=config, member_code=member.member_code)

    sent = await bot.fb_taps("p1", "card")
    assert len(fb_image_urls(sent)) == 1
    caption = joined([fb_text(s) for s in sent])
    assert "Hạng Gold · 1.500 điểm" in caption
    assert "Tích thêm 500 điểm nữa để lên hạng Platinum!" in caption


async def test_vouchers_list_after_sharing_a_phone(bot: Bot) -> None:
    content = bot.runtime.content.current
    bot.zalo.add_user("z1", "Lan")
    sent = await bot.zalo_says("z1", "voucher")
    assert content.texts.vouchers_empty in zalo_text(sent[0])

    await bot.zalo_event(
        "z1", bot.zalo.events.user_submit_info("z1", name="Lan", phone="0912345678")
    )
    member = await Member.get(phone="84912345678")
    (voucher,) = await member.vouchers.all()
    sent = joined([zalo_text(m) for m in await bot.zalo_says("z1", "ưu đãi của tôi")])
    assert "Bạn đang có 1 ưu đãi:" in sent
    assert f"• Quà chào mừng 20K: mã {voucher.code}" in sent
