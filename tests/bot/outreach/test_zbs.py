"""Zalo ZBS templates outside the consultation window: notices and promotions by UID (or by
phone), the platform's quota refusal recorded as `platform_quota` and not retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import BroadcastRecipient, Contact
from games.config import VoucherSpec
from loyalty import consent, members, vouchers
from loyalty.models import Member, PointsEntry
from tests.bot.handlers.conftest import Bot
from tests.bot.outreach.conftest import HEADERS, Clock, sender_for


async def zalo_member(
    bot: Bot, user_id: str, *, days_ago: float, phone: str | None = None
) -> Member:
    bot.zalo.add_user(user_id, "Lan")
    member = await members.get_or_create_by_identity("zalo_oa", user_id, name="Lan")
    if phone:
        await Member.filter(id=member.id).update(phone=phone)
    await Contact.create(
        channel="zalo",
        account_id=bot.zalo.oa_id,
        user_id=user_id,
        member_id=member.id,
        last_inbound_at=datetime.now(UTC) - timedelta(days=days_ago),
    )
    return await Member.get(id=member.id)


async def test_notice_out_of_window_goes_as_zbs_by_uid_then_by_phone(
    no_reminder_journey: None, app: Bot
) -> None:
    app.zalo.add_template("tpl-points", ["points", "balance"], by_uid=True)
    app.zalo.add_template("tpl-expiring", ["code", "until"])  # older template: phone only
    member = await zalo_member(app, "z1", days_ago=8, phone="84912345678")
    notices = app.runtime.notices
    await notices.scan()
    r = await app.client.post(
        "/api/v1/admin/orders",
        json={"order_id": "o-9", "amount": 120_000, "member_code": member.member_code},
        headers=HEADERS,
    )
    assert r.status == 201
    await notices.scan()
    await app.settled()
    (zbs,) = app.zalo.zns_sent
    assert (zbs.user_id, zbs.phone, zbs.template_id) == ("z1", None, "tpl-points")
    entry = await PointsEntry.get(ref="order:o-9")
    assert zbs.template_data == {"points": str(entry.amount), "balance": str(entry.balance_after)}
    assert app.zalo.sent_to("z1") == []  # never a CS message out of the 7-day window

    await vouchers.issue(member, VoucherSpec(value=10000, valid_days=2), source="test")
    await notices.expiring()
    await app.settled()
    by_phone = app.zalo.zns_sent[-1]
    assert (by_phone.phone, by_phone.template_id) == ("84912345678", "tpl-expiring")
    assert by_phone.tracking_id and by_phone.template_data["code"]


async def test_promotion_by_zbs_and_a_quota_refusal_is_not_retried(app: Bot) -> None:
    app.zalo.add_template("tpl-sale", ["name"], by_uid=True)
    for uid in ("z1", "z2"):
        m = await zalo_member(app, uid, days_ago=3)
        await consent.record_consent(m, "marketing", channel="zalo", method="chat_word", text="x")
    body = {
        "name": "sale",
        "segment": "all",
        "message": {"text": "Sale!", "zns_template": "sale"},
        "purpose": "promotion",
    }
    r = await app.client.post("/api/v1/admin/broadcasts", json=body, headers=HEADERS)
    bid = (await r.json())["id"]
    # -147: this template's daily quota (not the route's: the next member still gets it)
    app.zalo.fail_next(-147, times=1, path="/v3.0/oa/message/template")
    sender, _ = sender_for(app, Clock(datetime.now(UTC)))
    sender.concurrency = 1
    await sender.run(bid)
    rows = await BroadcastRecipient.filter(broadcast_id=bid).order_by("id")
    assert [(r.status, r.reason) for r in rows] == [("skipped", "platform_quota"), ("sent", None)]
    assert len(app.zalo.zns_sent) == 1  # the refused one was not tried again
    assert app.zalo.sent_to("z1") == app.zalo.sent_to("z2") == []  # no CS promotion
    r = await app.client.get(f"/api/v1/admin/broadcasts/{bid}", headers=HEADERS)
    st = await r.json()
    assert (st["sent"], st["skipped"], st["audience"]) == (1, {"platform_quota": 1}, 2)


async def test_reported_quota_stops_the_route_until_it_can_have_refilled(app: Bot) -> None:
    """Zalo says `remain: 0` on the second send: the rest are `platform_quota` without a
    call; once the stop has expired (the next day) the route is used again."""
    from bot.channels.zalo import quota

    app.zalo.add_template("tpl-sale", ["name"], by_uid=True)
    app.zalo.zns_daily_quota = 2
    for uid in ("z1", "z2", "z3", "z4"):
        m = await zalo_member(app, uid, days_ago=3)
        await consent.record_consent(m, "marketing", channel="zalo", method="chat_word", text="x")

    async def broadcast() -> list[tuple[str, str | None]]:
        body = {
            "name": "sale",
            "segment": "all",
            "message": {"text": "Sale!", "zns_template": "sale"},
            "purpose": "promotion",
        }
        r = await app.client.post("/api/v1/admin/broadcasts", json=body, headers=HEADERS)
        bid = (await r.json())["id"]
        sender, _ = sender_for(app, Clock(datetime.now(UTC)), max_promotions_per_week=9)
        sender.concurrency = 1
        await sender.run(bid)
        rows = await BroadcastRecipient.filter(broadcast_id=bid).order_by("id")
        return sorted((r.status, r.reason) for r in rows)

    def calls() -> int:
        return sum(1 for r in app.zalo.requests if r.path == "/v3.0/oa/message/template")

    assert await broadcast() == [("sent", None)] * 2 + [("skipped", "platform_quota")] * 2
    assert calls() == 2  # the last two never reached Zalo
    kv = app.runtime.backends.kv
    account = app.zalo.oa_id
    assert "remain 0" in (await quota.stopped(kv, account, "uid:promotion") or "")
    assert await quota.stopped(kv, account, "uid:update") is None  # another kind
    ttl = await kv.ttl(quota.key(account, "uid:promotion"))
    assert ttl is not None and 0 < ttl <= 24 * 3600 + 60
    seen = await kv.get(quota.key(account, "uid:promotion") + ":seen")
    assert seen and '"quota_type": "reward_quota"' in seen and '"remain": 0' in seen

    app.zalo.advance(24 * 3600)  # the fake's next day: its quota refilled
    await kv.delete(quota.key(account, "uid:promotion"))  # and our stop has expired by then
    rows = await broadcast()
    assert rows[:2] == [("sent", None)] * 2 and calls() == 4


def test_the_refill_is_the_next_midnight_in_vietnam() -> None:
    from bot.channels.zalo.quota import next_refill

    at = datetime(2026, 12, 3, 16, 59, tzinfo=UTC)  # 23:59 in Vietnam
    assert next_refill(at) == datetime(2026, 12, 3, 17, 1, tzinfo=UTC)
    at = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)  # 00:30 the next day in Vietnam
    assert next_refill(at) == datetime(2026, 12, 4, 17, 1, tzinfo=UTC)
