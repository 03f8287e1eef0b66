"""Transactional notices from the ledgers: an order's points, a tier change and its reward
voucher, a voucher about to expire; once each, through the delivery policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Contact, SkippedSend
from games.config import VoucherSpec
from loyalty import vouchers
from tests.bot.handlers.conftest import Bot
from tests.bot.outreach.conftest import HEADERS, fb_member


async def test_order_points_tier_and_voucher_notices_once(app: Bot) -> None:
    member = await fb_member(app, "p1", name="Lan", opted_in=False)  # notices need no opt-in
    notices = app.runtime.notices
    await notices.scan()  # the first scan starts at the newest rows: history is not announced

    r = await app.client.post(
        "/api/v1/admin/orders",
        json={"order_id": "o-1", "amount": 5_000_000, "member_code": member.member_code},
        headers=HEADERS,
    )
    assert r.status == 201, await r.text()
    assert await notices.scan() >= 2
    await app.settled()
    texts = app.fb.texts("p1")
    assert any("được cộng 500 điểm" in t for t in texts), texts
    assert any("hạng thành viên của bạn nay là Silver" in t for t in texts), texts
    assert any("bạn có voucher" in t for t in texts), texts

    count = len(app.fb.sent_to("p1"))
    await notices.scan()  # nothing new
    await app.settled()
    assert len(app.fb.sent_to("p1")) == count


async def test_a_reminder_journey_silences_the_built_in_reminder(app: Bot) -> None:
    member = await fb_member(app, "p1")
    await vouchers.issue(member, VoucherSpec(value=20000, valid_days=2), source="test")
    assert await app.runtime.notices.expiring() == 0  # the demo's journey reminds instead
    await app.settled()
    assert not [t for t in app.fb.texts("p1") if "hết hạn" in t]


async def test_expiring_voucher_reminder_and_a_closed_window(
    no_reminder_journey: None, app: Bot
) -> None:
    member = await fb_member(app, "p1")
    other = await fb_member(app, "p2")
    now = datetime.now(UTC)
    spec = VoucherSpec(value=20000, valid_days=2)
    await vouchers.issue(member, spec, source="test", source_ref="t:1", now=now)
    await vouchers.issue(other, spec, source="test", source_ref="t:2", now=now)
    await vouchers.issue(
        member, VoucherSpec(value=1, valid_days=30), source="test", source_ref="t:3"
    )
    await Contact.filter(user_id="p2").update(last_inbound_at=now - timedelta(days=2))

    notices = app.runtime.notices
    assert await notices.expiring() == 2
    await notices.expiring()  # the daily job running twice reminds once
    await app.settled()
    reminders = [t for t in app.fb.texts("p1") if "hết hạn" in t]
    assert len(reminders) == 1 and "20.000" in reminders[0]
    assert app.fb.texts("p2") == []  # outside Messenger's 24 h and no utility template
    skipped = await SkippedSend.filter(user_id=f"member:{other.id}")
    assert skipped and "no_channel" in skipped[0].reason
