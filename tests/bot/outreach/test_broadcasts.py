"""Broadcasts through the HTTP routes and the scheduler, against the fake Graph and Zalo."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.models import Broadcast, BroadcastRecipient, Contact
from tests.bot.handlers.conftest import Bot
from tests.bot.outreach.conftest import HEADERS, Clock, fb_member, quiet_around, sender_for

URL = "/api/v1/admin/broadcasts"


def body(**extra: object) -> dict[str, object]:
    return {
        "name": "Khuyến mãi",
        "segment": "all",
        "message": {"text": "Chào {name}, bạn có {points} điểm!"},
        "purpose": "promotion",
        **extra,
    }


async def test_dry_run_create_idempotent_send_and_counts(app: Bot) -> None:
    await fb_member(app, "p1", name="Lan", points=120)
    await fb_member(app, "p2", name="Hoa")
    await fb_member(app, "p3", name="Minh", opted_in=False)
    clock = Clock(datetime.now(UTC))
    _, scheduler = sender_for(app, clock)

    r = await app.client.post(URL + "?dry_run=true", json=body(), headers=HEADERS)
    assert r.status == 200, await r.text()
    dry = await r.json()
    assert dry["audience"] == 3
    assert dry["would_send"] == 2 and dry["would_send_by_channel"] == {"messenger": 2}
    assert dry["would_skip"] == {"opted_out": 1}
    assert await Broadcast.all().count() == 0  # a dry run writes nothing

    headers = {**HEADERS, "Idempotency-Key": "promo-1"}
    first = await app.client.post(URL, json=body(), headers=headers)
    again = await app.client.post(URL, json=body(), headers=headers)
    assert first.status == again.status == 201
    one, two = await first.json(), await again.json()
    assert one["id"] == two["id"] and one["audience"] == 3
    assert await Broadcast.all().count() == 1

    await scheduler.tick()
    await scheduler.send(one["id"])
    r = await app.client.get(f"{URL}/{one['id']}", headers=HEADERS)
    st = await r.json()
    assert st["status"] == "done"
    assert (st["audience"], st["sent"], st["failed"], st["skipped"]) == (
        3,
        2,
        0,
        {"opted_out": 1},
    )
    assert st["sent"] + st["failed"] + sum(st["skipped"].values()) == st["audience"]
    assert app.fb.texts("p1") == ["Chào Lan, bạn có 120 điểm!"]
    assert app.fb.texts("p2") == ["Chào Hoa, bạn có 0 điểm!"]
    assert app.fb.texts("p3") == []

    r = await app.client.post(f"{URL}/{one['id']}/cancel", headers=HEADERS)
    assert r.status == 409  # done: nothing left to stop


async def test_bad_input_is_a_clear_problem(app: Bot) -> None:
    r = await app.client.post(URL, json=body(segment="vip"), headers=HEADERS)
    assert r.status == 422
    assert (await r.json())["code"] == "unknown_segment"
    r = await app.client.post(URL, json=body(message={"text": "Hi {nme}"}), headers=HEADERS)
    assert (r.status, (await r.json())["code"]) == (422, "invalid_message")
    r = await app.client.post(URL, json=body(purpose="reply"), headers=HEADERS)
    assert r.status == 422
    r = await app.client.post(URL, json=body(), headers={"X-Api-Key": "wrong" * 8})
    assert r.status == 401
    r = await app.client.get(f"{URL}/999", headers=HEADERS)
    assert (r.status, (await r.json())["code"]) == (404, "broadcast_not_found")


async def test_scheduled_then_cancelled_counts_add_up(app: Bot) -> None:
    for i in range(3):
        await fb_member(app, f"p{i}")
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    r = await app.client.post(URL, json=body(send_at=later), headers=HEADERS)
    created = await r.json()
    assert created["status"] == "scheduled"
    clock = Clock(datetime.now(UTC))
    _, scheduler = sender_for(app, clock)
    await scheduler.tick()  # not due yet
    assert (await Broadcast.get(id=created["id"])).status == "scheduled"

    r = await app.client.post(f"{URL}/{created['id']}/cancel", headers=HEADERS)
    st = await r.json()
    assert st["status"] == "cancelled"
    assert (st["audience"], st["sent"], st["skipped"]) == (3, 0, {"cancelled": 3})
    clock.now += timedelta(hours=3)
    await scheduler.tick()
    assert app.fb.sent == []


async def test_quiet_hours_hold_then_release_with_an_injected_clock(app: Bot) -> None:
    await fb_member(app, "p1")
    send_at = datetime.now(UTC) + timedelta(minutes=1)
    clock = Clock(send_at + timedelta(minutes=1))
    quiet = quiet_around(clock.now, inside=True)
    _, scheduler = sender_for(app, clock, quiet_hours=quiet)
    r = await app.client.post(URL, json=body(send_at=send_at.isoformat()), headers=HEADERS)
    bid = (await r.json())["id"]

    await scheduler.tick()
    assert (await Broadcast.get(id=bid)).status == "waiting"
    await scheduler.send(bid)
    assert app.fb.sent == []  # held, not dropped

    clock.now += timedelta(hours=1, minutes=5)  # the quiet hours are over
    await scheduler.tick()
    assert (await Broadcast.get(id=bid)).status == "sending"
    await scheduler.send(bid)
    assert len(app.fb.sent_to("p1")) == 1
    assert (await Broadcast.get(id=bid)).status == "done"


async def test_weekly_cap_across_two_broadcasts(app: Bot) -> None:
    await fb_member(app, "p1")
    clock = Clock(datetime.now(UTC))
    _, scheduler = sender_for(app, clock, max_promotions_per_week=1)
    ids = []
    for n in (1, 2):
        r = await app.client.post(URL, json=body(name=f"b{n}"), headers=HEADERS)
        ids.append((await r.json())["id"])
    await scheduler.tick()
    for bid in ids:
        await scheduler.send(bid)
    first, second = [await BroadcastRecipient.get(broadcast_id=b) for b in ids]
    assert (first.status, second.status, second.reason) == ("sent", "skipped", "weekly_cap")
    assert len(app.fb.sent_to("p1")) == 1
    # an update is not a promotion: the cap does not apply to it
    r = await app.client.post(URL, json=body(purpose="update", name="b3"), headers=HEADERS)
    bid = (await r.json())["id"]
    await scheduler.send(bid)
    assert (await BroadcastRecipient.get(broadcast_id=bid)).status == "sent"


async def test_two_workers_share_a_broadcast_without_overlap(app: Bot) -> None:
    psids = [f"p{i}" for i in range(24)]
    for psid in psids:
        await fb_member(app, psid)
    clock = Clock(datetime.now(UTC))
    w1, _ = sender_for(app, clock, worker="w1")
    w2, _ = sender_for(app, clock, worker="w2")
    app.fb.delay_next(0.01, times=100)
    r = await app.client.post(URL, json=body(), headers=HEADERS)
    bid = (await r.json())["id"]
    a, b = await asyncio.gather(w1.run(bid), w2.run(bid))
    assert a.sent + b.sent == 24
    assert a.sent > 0 and b.sent > 0  # both took a share
    per_user = Counter(s.psid for s in app.fb.sent)
    assert set(per_user) == set(psids) and set(per_user.values()) == {1}
    claimed = await BroadcastRecipient.filter(broadcast_id=bid).values_list(
        "claimed_by", flat=True
    )
    assert {str(c).split(":")[0] for c in claimed} == {"w1", "w2"}


async def test_platform_errors_are_recorded(app: Bot) -> None:
    await fb_member(app, "p1")
    await fb_member(app, "p2")
    app.fb.users["p2"].last_inbound = None  # the fake says: outside the window (10/2018278)
    clock = Clock(datetime.now(UTC))
    _, scheduler = sender_for(app, clock)
    r = await app.client.post(URL, json=body(), headers=HEADERS)
    bid = (await r.json())["id"]
    await scheduler.send(bid)
    rows = {r.member_id: r for r in await BroadcastRecipient.filter(broadcast_id=bid)}
    statuses = sorted((r.status, (r.reason or "")[:30]) for r in rows.values())
    assert statuses[0][0] == "failed" and "24-hour window" in statuses[0][1]
    assert statuses[1] == ("sent", "")


async def test_a_voucher_per_recipient(app: Bot) -> None:
    await fb_member(app, "p1")
    await fb_member(app, "p2")
    voucher = {"value": 20000, "valid_days": 7}
    text = "Tặng bạn {voucher_code} ({voucher_value}) đến {expires_at}"
    r = await app.client.post(URL, json=body(message={"text": text}), headers=HEADERS)
    assert (r.status, (await r.json())["code"]) == (422, "invalid_message")  # no voucher given
    bad = {"text": text, "voucher": {"value": 0, "valid_days": 7}}
    r = await app.client.post(URL, json=body(message=bad), headers=HEADERS)
    assert (r.status, (await r.json())["code"]) == (422, "invalid_voucher")
    r = await app.client.post(
        URL, json=body(message={"text": text, "voucher": voucher}), headers=HEADERS
    )
    bid = (await r.json())["id"]
    sender, _ = sender_for(app, Clock(datetime.now(UTC)))
    await sender.run(bid)
    codes = set()
    for psid in ("p1", "p2"):
        (sent,) = app.fb.texts(psid)
        assert "20.000" in sent
        codes.add(sent.split()[2])
    assert len(codes) == 2  # one voucher each
    from loyalty.models import Voucher

    issued = await Voucher.filter(source="broadcast").values_list("code", flat=True)
    assert set(issued) == codes


async def test_a_refreshed_segment_of_the_content_file_is_an_audience(app: Bot) -> None:
    """Custom and RFM segments reach broadcasts through their stored membership rows."""
    from loyalty.segments.refresh import refresh_all

    lan = await fb_member(app, "p1", name="Lan")
    await fb_member(app, "p2", name="Hoa")
    orders = {"X-Api-Key": HEADERS["X-Api-Key"]}
    for n in range(3):  # the demo content's `regulars`: 3 orders within 60 days
        paid = {"order_id": f"o{n}", "amount": 100_000, "member_code": lan.member_code}
        r = await app.client.post("/api/v1/admin/orders", json=paid, headers=orders)
        assert r.status == 201, await r.text()
    await refresh_all(app.runtime.content.current.segment_spec())
    r = await app.client.post(
        URL + "?dry_run=true", json=body(segment="regulars"), headers=HEADERS
    )
    assert r.status == 200, await r.text()
    assert (await r.json())["audience"] == 1
    r = await app.client.post(
        URL + "?dry_run=true", json=body(segment="no-such-segment"), headers=HEADERS
    )
    assert (r.status, (await r.json())["code"]) == (422, "unknown_segment")


async def test_weekly_cap_counts_the_last_seven_days_of_every_source(app: Bot) -> None:
    """Cap 2: two broadcasts go, the third is `weekly_cap`; eight days later one goes again.
    The count is `caps.promotions_sent`, the one place every source is summed."""
    from bot.outreach import caps

    one = await fb_member(app, "p1")
    two = await fb_member(app, "p2")
    clock = Clock(datetime.now(UTC))
    sender, _ = sender_for(app, clock, max_promotions_per_week=2)

    async def broadcast(name: str) -> list[tuple[str, str | None]]:
        r = await app.client.post(URL, json=body(name=name), headers=HEADERS)
        bid = (await r.json())["id"]
        await sender.run(bid)
        rows = await BroadcastRecipient.filter(broadcast_id=bid).order_by("member_id")
        return [(r.status, r.reason) for r in rows]

    assert await broadcast("b1") == [("sent", None), ("sent", None)]
    await BroadcastRecipient.filter(member_id=two.id).update(status="failed")  # not sent
    assert await broadcast("b2") == [("sent", None), ("sent", None)]
    week_ago = clock.now - timedelta(days=7)
    assert await caps.promotions_sent([one.id, two.id, 999_999], week_ago) == {
        one.id: 2,
        two.id: 1,
    }
    assert await broadcast("b3") == [("skipped", "weekly_cap"), ("sent", None)]
    clock.now += timedelta(days=8)
    await Contact.filter(member_id__in=[one.id, two.id]).update(last_inbound_at=clock.now)
    assert await broadcast("b4") == [("sent", None), ("sent", None)]
    assert len(app.fb.sent_to("p1")) == 3


async def test_a_member_found_unreachable_is_skipped_by_later_broadcasts(app: Bot) -> None:
    """Messenger 551 (the person blocked the Page) and Zalo −227 on a ZBS template: the
    Contact is marked as the outbox would, and the next broadcast skips them as
    `unreachable` without a call."""
    from loyalty import consent
    from tests.bot.outreach.test_zbs import zalo_member

    await fb_member(app, "ok")
    await fb_member(app, "gone")
    app.fb.users["gone"].blocked = True
    app.zalo.add_template("tpl-sale", ["name"], by_uid=True)
    banned = await zalo_member(app, "zb", days_ago=10)
    await consent.record_consent(banned, "marketing", channel="zalo", method="chat_word", text="x")
    app.zalo.users["zb"].blocked = True
    clock = Clock(datetime.now(UTC))
    sender, _ = sender_for(app, clock, max_promotions_per_week=9)

    async def broadcast(name: str) -> dict[str, tuple[str, str | None]]:
        message = {"text": "Chào {name}", "zns_template": "sale"}
        r = await app.client.post(URL, json=body(name=name, message=message), headers=HEADERS)
        bid = (await r.json())["id"]
        await sender.run(bid)
        contacts = {c.member_id: c.user_id for c in await Contact.all()}
        rows = await BroadcastRecipient.filter(broadcast_id=bid)
        return {contacts[r.member_id]: (r.status, r.reason) for r in rows}

    first = await broadcast("b1")
    assert first["ok"] == ("sent", None)
    assert first["gone"][0] == "failed" and "unavailable" in (first["gone"][1] or "")
    assert first["zb"][0] == "failed" and "-227" in (first["zb"][1] or "")
    marked = await Contact.filter(reachable=False).values_list("user_id", flat=True)
    assert sorted(marked) == ["gone", "zb"]
    calls = len(app.fb.sent) + len(app.zalo.requests)

    second = await broadcast("b2")
    assert second == {
        "ok": ("sent", None),
        "gone": ("skipped", "unreachable"),
        "zb": ("skipped", "unreachable"),
    }
    assert len(app.fb.sent) + len(app.zalo.requests) == calls + 1  # only "ok" was called
