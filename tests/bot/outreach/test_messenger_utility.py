"""Messenger `update` notices after the 24-hour window go as the Page's utility templates
(`messenger_utility:`), never as tagged messages; promotions never go after 24 h."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import BroadcastRecipient, Contact
from loyalty.models import PointsEntry
from tests.bot.handlers.conftest import Bot
from tests.bot.outreach.conftest import HEADERS, Clock, fb_member, sender_for


async def test_points_notice_after_24h_is_a_utility_template(app: Bot) -> None:
    app.fb.add_utility_template("points_update_vi", params=3)
    member = await fb_member(app, "p1", name="Lan")
    await Contact.filter(user_id="p1").update(
        last_inbound_at=datetime.now(UTC) - timedelta(days=3)
    )
    app.fb.users["p1"].last_inbound = app.fb.clock() - 3 * 86400
    notices = app.runtime.notices
    await notices.scan()
    r = await app.client.post(
        "/api/v1/admin/orders",
        json={"order_id": "o-1", "amount": 150_000, "member_code": member.member_code},
        headers=HEADERS,
    )
    assert r.status == 201
    await notices.scan()
    await app.settled()
    (sent,) = app.fb.sent_to("p1")
    assert sent.body["messaging_type"] == "UTILITY" and "tag" not in sent.body
    entry = await PointsEntry.get(ref="order:o-1")
    template = sent.template or {}
    assert template["name"] == "points_update_vi" and template["language"] == {"code": "vi"}
    values = [p["text"] for p in template["components"][0]["parameters"]]
    assert values == ["Lan", str(entry.amount), str(entry.balance_after)]


async def test_named_parameters_and_an_unknown_page_template(app: Bot) -> None:
    """`tier_changed` maps named parameters; when the Page has no such template Graph refuses
    it (100) and the outbox records the refusal instead of retrying."""
    from bot.models import OutboxMessage
    from loyalty.models import Member

    app.fb.add_utility_template("tier_update_vi", params=("tier",))
    member = await fb_member(app, "p1")
    other = await fb_member(app, "p2")
    old = datetime.now(UTC) - timedelta(days=2)
    await Contact.filter(user_id__in=["p1", "p2"]).update(last_inbound_at=old)
    for psid in ("p1", "p2"):
        app.fb.users[psid].last_inbound = app.fb.clock() - 2 * 86400
    notices = app.runtime.notices
    await notices.scan()
    now = datetime.now(UTC)
    await Member.filter(id=member.id).update(tier="Gold", tier_updated_at=now)
    await notices.scan()
    await app.settled()
    (sent,) = app.fb.sent_to("p1")
    params = (sent.template or {})["components"][0]["parameters"]
    assert params == [{"type": "text", "parameter_name": "tier", "text": "Gold"}]

    app.fb.utility_templates.clear()
    later = now + timedelta(seconds=1)
    await Member.filter(id=other.id).update(tier="Silver", tier_updated_at=later)
    await notices.scan()
    await app.settled()
    assert app.fb.sent_to("p2") == []
    row = await OutboxMessage.get(user_id="p2")
    assert row.status == "failed" and "does not exist" in (row.last_error or ""), row.last_error


async def test_update_broadcast_in_and_out_of_window_and_a_promotion(app: Bot) -> None:
    app.fb.add_utility_template("account_update_vi", params=1)
    await fb_member(app, "in", name="An")
    await fb_member(app, "out", name="Bình")
    await Contact.filter(user_id="out").update(
        last_inbound_at=datetime.now(UTC) - timedelta(days=5)
    )
    app.fb.users["out"].last_inbound = app.fb.clock() - 5 * 86400
    ids = []
    for purpose in ("update", "promotion"):
        body = {
            "name": purpose,
            "segment": "all",
            "message": {"text": "Chào {name}", "zns_template": "account"},
            "purpose": purpose,
        }
        r = await app.client.post("/api/v1/admin/broadcasts", json=body, headers=HEADERS)
        assert r.status == 201, await r.text()
        ids.append((await r.json())["id"])
    sender, _ = sender_for(app, Clock(datetime.now(UTC)))
    for bid in ids:
        await sender.run(bid)
    inside = app.fb.sent_to("in")
    assert [s.text for s in inside] == ["Chào An", "Chào An"]
    (outside,) = app.fb.sent_to("out")  # the update only, as the template
    assert outside.body["messaging_type"] == "UTILITY"
    assert (outside.template or {})["components"][0]["parameters"][0]["text"] == "Bình"
    rows = await BroadcastRecipient.filter(broadcast_id=ids[1]).order_by("id")
    assert sorted((r.status, r.reason) for r in rows) == [
        ("sent", None),
        ("skipped", "no_channel"),
    ]
