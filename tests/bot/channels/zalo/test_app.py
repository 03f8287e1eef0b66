"""The real app with the fake Zalo on both sides: webhook → inbox → handler → outbox → Zalo."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.channels.zalo.inbound import CHAT_NOW
from bot.channels.zalo.parser import parse_event, to_inbox_item
from bot.core.events import (
    FollowEvent,
    MessageEvent,
    PayloadEvent,
    ReactionEvent,
    SharedInfoEvent,
    UnfollowEvent,
)
from bot.core.messages import Text
from bot.models import Contact, InboxEvent, OutboxMessage, SkippedSend
from bot.pipeline.priority import PRESSURE_KEY
from bot.settings import Settings
from tests.bot.channels.zalo.conftest import LONG_TEXT, ZaloApp, _start, wait_for
from tests.fakes.zalo_api import DAY_MS, FakeZalo
from tests.helpers import switched_turns

CS = "/v3.0/oa/message/cs"


def cs_calls(zapp: ZaloApp) -> int:
    return sum(r.path == CS for r in zapp.zalo.requests)


async def test_signed_text_is_answered_as_a_reply(zapp: ZaloApp) -> None:
    zapp.zalo.add_user("u1", "Lan")
    event = zapp.zalo.events.user_send_text("u1", "Chào shop, cho mình hỏi giá ạ")
    resp = await zapp.client.post(
        "/webhooks/zalo",
        data=json.dumps(event, ensure_ascii=False).encode(),
        headers={
            "X-ZEvent-Signature": zapp.zalo.sign(
                json.dumps(event, ensure_ascii=False).encode(), event["timestamp"]
            )
        },
    )
    assert resp.status == 200 and await resp.json() == {"ok": True}
    await zapp.sent_count(1)
    [sent] = zapp.zalo.sent
    assert sent.text == "Bạn nói: Chào shop, cho mình hỏi giá ạ"
    assert sent.is_reply and sent.recipient == {"message_id": event["message"]["msg_id"]}
    [seen] = zapp.recorder.of(MessageEvent)
    assert seen.user_id == "u1" and seen.account_id == zapp.zalo.oa_id
    # The fake has the message; the outbox row is marked right after Zalo's answer arrives.
    row = await wait_for(
        lambda: OutboxMessage.get_or_none(user_id="u1", status="sent"), what="the sent row"
    )
    assert row.platform_message_id == sent.message_id
    contact = await Contact.get(channel="zalo", user_id="u1")
    assert contact.last_inbound_at is not None


@pytest.mark.parametrize("how", ["bad", "missing", "other-key"])
async def test_bad_or_missing_signature_is_401_and_nothing_is_stored(
    zapp: ZaloApp, how: str
) -> None:
    event = zapp.zalo.events.user_send_text("u1", "Giả mạo")
    kw: dict[str, Any] = {"bad_signature": True} if how == "bad" else {}
    if how == "missing":
        kw["signature"] = ""
    if how == "other-key":
        raw = json.dumps(event, ensure_ascii=False).encode()
        kw["signature"] = zapp.zalo.sign(raw, event["timestamp"], key=zapp.zalo.app_secret)
    assert await zapp.post(event, **kw) == 401
    body = json.loads(zapp.zalo.deliveries[-1].response)
    assert body["ok"] is False and body["error"] == "bad_signature"
    assert await InboxEvent.all().count() == 0 and zapp.recorder.events == []


async def test_a_forged_request_leaves_no_log_line_with_its_content(
    zapp: ZaloApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The signature is checked before anything from the body is parsed or logged."""
    caplog.set_level(logging.DEBUG)
    event = zapp.zalo.events.user_send_text("u-forged-7731", "nội dung giả 5512")
    event["event_name"] = "user_send_text_forged_9981"
    assert await zapp.post(event, bad_signature=True) == 401
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "bad signature" in logged
    for marker in ("u-forged-7731", "5512", "forged_9981", "user_send_text"):
        assert marker not in logged, marker


async def test_invalid_json_oversized_and_unknown_events(zapp: ZaloApp) -> None:
    headers = {"X-ZEvent-Signature": "mac=00"}
    resp = await zapp.client.post("/webhooks/zalo", data=b"{not json", headers=headers)
    assert resp.status == 400 and (await resp.json())["error"] == "bad_json"
    huge = b'{"pad":"' + b"x" * (zapp.runtime.settings.WEBHOOK_MAX_BODY_BYTES + 10) + b'"}'
    resp = await zapp.client.post("/webhooks/zalo", data=io.BytesIO(huge), headers=headers)
    assert resp.status == 413 and (await resp.json())["error"] == "too_large"
    unknown = {
        "app_id": zapp.zalo.app_id,
        "event_name": "user_send_business_card_v2",
        "timestamp": "1700000000000",
        "sender": {"id": "u9"},
        "recipient": {"id": zapp.zalo.oa_id},
    }
    assert await zapp.post(unknown) == 200
    await zapp.inbox_done(1)
    row = await InboxEvent.get(event_name="user_send_business_card_v2")
    assert row.status == "done" and zapp.recorder.events == [] and zapp.zalo.sent == []


async def test_same_event_five_times_at_once_runs_one_handler(zapp_both: ZaloApp) -> None:
    zapp = zapp_both
    event = zapp.zalo.events.user_send_text("u1", "Một lần thôi")
    statuses = await zapp.zalo.deliver(zapp.url, event, times=5, concurrently=True)
    assert statuses == [200] * 5
    await zapp.sent_count(1)
    await zapp.inbox_done(1)
    await asyncio.sleep(0.2)  # give a wrongly duplicated job the chance to show up
    assert len(zapp.recorder.events) == 1 and len(zapp.zalo.sent) == 1
    assert await InboxEvent.all().count() == 1


async def test_token_expiry_while_twenty_users_write(zapp_both: ZaloApp) -> None:
    zapp = zapp_both
    users = [f"user{i:02d}" for i in range(20)]
    for user in users:
        zapp.zalo.add_user(user, f"Khách {user}")
    for token in list(zapp.zalo.access_tokens):
        zapp.zalo.expire_access_token(token)
    await asyncio.gather(
        *(zapp.post(zapp.zalo.events.user_send_text(u, "Cho mình hỏi")) for u in users)
    )
    await zapp.sent_count(20)
    assert zapp.zalo.refresh_count == 1
    assert {m.user_id for m in zapp.zalo.sent} == set(users) and len(zapp.zalo.sent) == 20


@pytest.mark.parametrize("fault", ["rate-limit", "http-503"])
async def test_bursts_of_failures_are_delivered_once_after_retries(
    zapp: ZaloApp, fault: str
) -> None:
    # Longer than the client's in-call retries (a 5xx gets none: it may have been sent):
    # the outbox has to come back for it, later.
    if fault == "rate-limit":
        zapp.zalo.rate_limit(times=4, path=CS)
        calls = 5  # 3 in the first call, then 1 + the send
    else:
        zapp.zalo.http_status_next(503, times=2, path=CS)
        calls = 3  # one a try
    await zapp.post(zapp.zalo.events.user_send_text("u1", "Alo"))
    row = await wait_for(
        lambda: OutboxMessage.get_or_none(user_id="u1", status="sent"),
        within=20,
        what="sent row",
    )
    assert row.attempts >= 2 and len(zapp.zalo.sent) == 1 and cs_calls(zapp) == calls


async def test_no_interaction_in_7_days_is_not_retried_and_marks_the_contact(
    zapp: ZaloApp,
) -> None:
    zapp.zalo.fail_next(-230, times=1, path=CS)
    await zapp.post(zapp.zalo.events.user_send_text("u1", "Alo"))
    skipped = await wait_for(lambda: SkippedSend.get_or_none(user_id="u1"), what="skipped send")
    assert "-230" in skipped.reason
    contact = await Contact.get(channel="zalo", user_id="u1")
    assert not contact.reachable and "-230" in (contact.unreachable_reason or "")
    row = await OutboxMessage.get(user_id="u1")
    assert row.status == "failed" and cs_calls(zapp) == 1
    # Writing again reopens the window: the mark is lifted and the answer goes out.
    await zapp.post(zapp.zalo.events.user_send_text("u1", "Còn đó không"))
    await zapp.sent_count(1)
    assert (await Contact.get(channel="zalo", user_id="u1")).reachable


async def test_blocked_user_stays_unreachable(zapp: ZaloApp) -> None:
    zapp.zalo.add_user("u1", "Lan", blocked=True)
    await zapp.post(zapp.zalo.events.user_send_text("u1", "Alo"))
    await wait_for(lambda: SkippedSend.get_or_none(user_id="u1"), what="skipped send")
    await zapp.post(zapp.zalo.events.user_send_text("u1", "Alo nữa"))
    # -227 (banned) is not cured by writing again: the second answer is skipped unsent.
    skipped = await wait_for(
        lambda: OutboxMessage.get_or_none(user_id="u1", status="skipped"), what="skipped"
    )
    assert (skipped.last_error or "").startswith("unreachable: zalo -227")
    assert cs_calls(zapp) == 1 and "-227" in (await Contact.get(user_id="u1")).unreachable_reason


async def test_messages_outside_the_window_are_skipped_before_calling_zalo(zapp: ZaloApp) -> None:
    zapp.zalo.add_user("u1", "Lan", last_interaction=zapp.zalo.now_ms() - 3 * DAY_MS)
    await Contact.create(
        channel="zalo",
        account_id=zapp.zalo.oa_id,
        user_id="u1",
        last_inbound_at=datetime.now(UTC) - timedelta(days=8),
    )
    await zapp.runtime.outbox.queue_messages("zalo", "u1", [Text(text="Khuyến mãi mới")])
    skipped = await wait_for(lambda: SkippedSend.get_or_none(user_id="u1"), what="skipped")
    assert "7-day" in skipped.reason and cs_calls(zapp) == 0
    contact = await Contact.get(user_id="u1")
    assert contact.reachable  # only this message was refused, not the person
    await Contact.filter(id=contact.id).update(
        last_inbound_at=datetime.now(UTC) - timedelta(days=3)
    )
    await zapp.runtime.outbox.queue_messages("zalo", "u1", [Text(text="Ưu đãi", promotional=True)])
    await wait_for(
        lambda: SkippedSend.filter(reason__contains="48-hour").exists(), what="48h skip"
    )
    await zapp.runtime.outbox.queue_messages("zalo", "u1", [Text(text="Đơn hàng của bạn đã giao")])
    await zapp.sent_count(1)
    assert zapp.zalo.sent[0].billed  # 48 h - 7 d: allowed, billed


async def test_echoes_are_not_answered(zapp: ZaloApp) -> None:
    zapp.zalo.echo_url = zapp.url  # the fake echoes every accepted send as oa_send_*
    await zapp.post(zapp.zalo.events.user_send_text("u1", "Chào"))
    await zapp.sent_count(1)
    await wait_for(
        lambda: InboxEvent.filter(event_name="oa_send_text", status="done").exists(), what="echo"
    )
    assert (
        await zapp.post(zapp.zalo.events.oa_send_text("u1", "Nhân viên trả lời", admin_id="9"))
        == 200
    )
    await zapp.inbox_done(3)
    assert len(zapp.zalo.sent) == 1 and len(zapp.recorder.events) == 1


async def test_receipts_update_delivery_state(zapp: ZaloApp) -> None:
    await zapp.post(zapp.zalo.events.user_send_text("u1", "Chào"))
    await zapp.sent_count(1)
    msg_id = zapp.zalo.sent[0].message_id
    await wait_for(lambda: OutboxMessage.get_or_none(platform_message_id=msg_id), what="row")
    await zapp.post(zapp.zalo.events.user_received_message("u1", msg_id))
    row = await wait_for(
        lambda: OutboxMessage.get_or_none(
            platform_message_id=msg_id, delivered_at__not_isnull=True
        ),
        what="delivered",
    )
    assert row.seen_at is None
    await zapp.post(zapp.zalo.events.user_seen_message("u1", [msg_id]))
    await wait_for(
        lambda: OutboxMessage.get_or_none(platform_message_id=msg_id, seen_at__not_isnull=True),
        what="seen",
    )
    assert len(zapp.recorder.events) == 1


async def test_long_text_is_split(zapp: ZaloApp) -> None:
    await zapp.post(zapp.zalo.events.user_send_text("u1", "dài"))
    await zapp.sent_count(3)
    await zapp.inbox_done(1)
    texts = [m.text or "" for m in zapp.zalo.sent]
    assert len(texts) >= 3 and all(0 < len(t) <= 2000 for t in texts)
    assert " ".join(texts).split() == LONG_TEXT.split()
    assert zapp.zalo.sent[0].is_reply and not zapp.zalo.sent[1].is_reply


async def test_six_buttons_become_numbers_and_a_number_comes_back_as_payload(
    zapp: ZaloApp,
) -> None:
    await zapp.post(zapp.zalo.events.user_send_text("u1", "nút"))
    await zapp.sent_count(1)
    assert "6. Lựa chọn 6" in (zapp.zalo.sent[0].text or "")
    await wait_for(lambda: OutboxMessage.filter(status="sent").exists(), what="sent")
    await zapp.post(zapp.zalo.events.user_send_text("u1", "6"))
    await zapp.sent_count(2)
    [picked] = zapp.recorder.of(PayloadEvent)
    assert (picked.payload, picked.title) == ("opt:6", "Lựa chọn 6")
    await zapp.post(zapp.zalo.events.user_send_text("u1", "6"))  # the menu applied once
    await zapp.sent_count(3)
    assert zapp.recorder.of(MessageEvent)[-1].text == "6"


async def test_request_user_info_is_accepted_and_the_answer_is_shared_info(zapp: ZaloApp) -> None:
    await zapp.post(zapp.zalo.events.user_send_text("u1", "sđt"))
    await zapp.sent_count(1)
    payload = zapp.zalo.sent[0].message["attachment"]["payload"]
    assert payload["template_type"] == "request_user_info" and len(payload["elements"]) == 1
    assert payload["elements"][0]["image_url"].startswith(
        zapp.runtime.settings.PUBLIC_BASE_URL + "/media/"
    )
    banner = payload["elements"][0]["image_url"].rsplit("/", 1)[1]
    resp = await zapp.client.get(f"/media/{banner}")  # the default banner is really served
    assert resp.status == 200 and (await resp.read()).startswith(b"\x89PNG")
    await zapp.post(zapp.zalo.events.user_submit_info("u1", name="Lan", phone="84912345678"))
    [info] = await wait_for(lambda: zapp.recorder.of(SharedInfoEvent), what="shared info")
    assert info.phone == "84912345678"


async def test_every_user_event_reaches_the_right_handler(zapp: ZaloApp) -> None:
    ev = zapp.zalo.events
    bodies = [
        ev.follow("u1"),
        ev.user_send_text("u1", "#card"),
        ev.user_send_image("u1"),
        ev.user_send_location("u1", 10.77, 106.70),
        ev.user_click_chatnow("u1"),
        ev.user_reacted_message("u1", "m1"),
        ev.unfollow("u1"),
    ]
    for body in bodies:  # one at a time: the order per user is the order received
        assert await zapp.post(body) == 200
    await zapp.inbox_done(len(bodies))
    kinds = [type(e) for e in zapp.recorder.events]
    assert kinds == [
        FollowEvent,
        PayloadEvent,
        MessageEvent,
        MessageEvent,
        PayloadEvent,
        ReactionEvent,
        UnfollowEvent,
    ]
    assert (
        zapp.recorder.events[1].payload == "card" and zapp.recorder.events[4].payload == CHAT_NOW
    )
    follow_reply = zapp.zalo.sent_to("u1")[0]
    assert follow_reply.text == "Chào mừng bạn!" and follow_reply.recipient == {"user_id": "u1"}


async def test_profile_is_fetched_once_a_day(zapp: ZaloApp) -> None:
    zapp.zalo.add_user("u1", "Nguyễn Văn An", user_id_by_app="777")
    channel = zapp.runtime.channels["zalo"]
    profile = await channel.get_profile("u1")
    assert (profile.name, profile.user_id_by_app) == ("Nguyễn Văn An", "777")
    again = await channel.get_profile("u1")
    assert again.name == "Nguyễn Văn An"
    assert sum(r.path == "/v3.0/oa/user/detail" for r in zapp.zalo.requests) == 1
    contact = await Contact.get(user_id="u1")
    assert contact.display_name == "Nguyễn Văn An" and contact.profile_fetched_at is not None


async def test_profile_failure_does_not_break_handlers(
    zapp: ZaloApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    profile = await zapp.runtime.channels["zalo"].get_profile("nobody")  # -213 at the fake
    assert profile.name is None


async def test_zalo_down_keeps_the_message(zapp: ZaloApp) -> None:
    zapp.zalo.http_status_next(503, times=1000, path=CS)
    await zapp.post(zapp.zalo.events.user_send_text("u1", "Alo"))
    row = await wait_for(
        lambda: OutboxMessage.get_or_none(user_id="u1", attempts__gte=1), what="attempt"
    )
    assert row.status == "pending" and row.last_error and "503" in row.last_error
    zapp.zalo.faults.clear()
    await OutboxMessage.filter(id=row.id).update(next_attempt_at=None)
    await zapp.runtime.outbox.sweep_due()
    await zapp.sent_count(1)


@pytest.fixture
async def sandbox_app(
    zalo: Any, aiohttp_client: Any, clean_db: str, make_settings: Any
) -> ZaloApp:
    from tests.bot.channels.zalo.conftest import _start

    return await _start(aiohttp_client, make_settings(SANDBOX_SECRET="sandbox-k"), zalo, "memory")


async def test_sandbox_mode_records_instead_of_sending(sandbox_app: ZaloApp) -> None:
    zapp = sandbox_app
    channel = zapp.runtime.channels["zalo"]
    assert channel.sandbox and channel.account_id == "sandbox-oa"
    event = zapp.zalo.events.follow("u1")
    event["sandbox_profile"] = {"name": "Chị Hoa"}
    raw = json.dumps(event, ensure_ascii=False).encode()
    assert await zapp.post(event, bad_signature=True) == 401
    assert (
        await zapp.post(raw, signature=zapp.zalo.sign(raw, event["timestamp"], key="sandbox-k"))
        == 200
    )
    row = await wait_for(
        lambda: OutboxMessage.get_or_none(user_id="u1", status="sent"), what="recorded"
    )
    assert row.platform_message_id == f"sandbox-{row.id}" and zapp.zalo.sent == []
    assert (await channel.get_profile("u1")).name == "Chị Hoa"
    assert not [r for r in zapp.zalo.requests if r.path.startswith("/v")]


async def test_events_for_another_oa_are_stored_but_not_handled(zapp: ZaloApp) -> None:
    event = zapp.zalo.events.user_send_text("u1", "Nhầm OA")
    event["recipient"]["id"] = "another-oa"
    raw = json.dumps(event, ensure_ascii=False).encode()
    assert await zapp.post(raw, signature=zapp.zalo.sign(raw, event["timestamp"])) == 200
    await zapp.inbox_done(1)
    row = await InboxEvent.get(user_id="u1")
    assert row.account_id == "another-oa" and zapp.recorder.events == [] and zapp.zalo.sent == []


@pytest.mark.parametrize(
    ("mac_id", "mac_key"),
    [("oa_id", "oa_secret_key"), ("app_id", "app_secret"), ("oa_id", "app_secret")],
)
async def test_configured_mac_variant_end_to_end(
    zalo: Any, aiohttp_client: Any, clean_db: str, zalo_settings: Any, mac_id: str, mac_key: str
) -> None:
    from tests.bot.channels.zalo.conftest import _start

    settings = zalo_settings(ZALO_WEBHOOK_MAC_ID=mac_id, ZALO_WEBHOOK_MAC_KEY=mac_key)
    zapp = await _start(aiohttp_client, settings, zalo, "memory")
    zalo.mac_id, zalo.mac_key = mac_id, mac_key  # the fake signs with this variant now
    assert await zapp.post(zalo.events.user_send_text("u1", "Biến thể")) == 200
    assert await zapp.post(zalo.events.oa_send_text("u1", "Tiếng vọng")) == 200
    zalo.mac_id, zalo.mac_key = "app_id", "oa_secret_key"  # the documented default
    assert await zapp.post(zalo.events.user_send_text("u1", "Mặc định")) == 401
    await zapp.sent_count(1)
    await zapp.inbox_done(2)
    assert [e.text for e in zapp.recorder.of(MessageEvent)] == ["Biến thể"]


async def test_during_a_burst_events_are_acknowledged_and_handled_after(zapp: ZaloApp) -> None:
    pressed = [True]
    zapp.runtime.inbox.turns = turns = switched_turns(pressed, max_wait=30)
    zapp.zalo.add_user("u1", "Lan")
    for text in ("một", "hai", "ba"):
        assert await zapp.post(zapp.zalo.events.user_send_text("u1", text)) == 200
    await wait_for(lambda: turns.held == 1, what="the first event waiting for its turn")
    assert zapp.recorder.events == []  # stored and acknowledged, nothing handled yet
    assert await InboxEvent.filter(status="done").count() == 0
    pressed[0] = False  # the burst is over
    await zapp.inbox_done(3)
    assert [e.text for e in zapp.recorder.of(MessageEvent)] == ["một", "hai", "ba"]


async def test_a_user_who_keeps_writing_takes_one_turn_per_event(zapp: ZaloApp) -> None:
    # The pressure never ends; each event waits at most the (short) max wait, in order.
    zapp.runtime.inbox.turns = turns = switched_turns([True], max_wait=0.05)
    zapp.zalo.add_user("u1", "Lan")
    for text in ("một", "hai", "ba", "bốn"):
        assert await zapp.post(zapp.zalo.events.user_send_text("u1", text)) == 200
    await zapp.inbox_done(4)
    assert [e.text for e in zapp.recorder.of(MessageEvent)] == ["một", "hai", "ba", "bốn"]
    assert turns.held == 4  # not one turn for the job that drained the user's rows


async def _store_quietly(zapp: ZaloApp, events: list[dict[str, Any]]) -> list[int]:
    """Rows in the inbox with no job queued for them (what the drain is for)."""
    channel = zapp.runtime.channels["zalo"]
    items = []
    for body in events:
        event = parse_event(body)
        items.append(("zalo", to_inbox_item(event, body, channel.account_for(event))))  # type: ignore[attr-defined]
    return [row_id for _, row_id in await zapp.runtime.ingest.writer.store(items)]


async def test_the_drain_walks_pending_rows_user_by_user_in_order(zapp: ZaloApp) -> None:
    ev = zapp.zalo.events
    ids = await _store_quietly(
        zapp,
        [
            ev.user_send_text("u1", "một"),
            ev.user_send_text("u2", "hai"),
            ev.user_send_text("u1", "ba"),
        ],
    )
    calls = 0

    async def one_user_only() -> bool:
        nonlocal calls
        calls += 1
        return calls == 1  # the burst ends after the first user

    assert await zapp.runtime.inbox.drain_from(min(ids), still=one_user_only) == 2  # u1's two rows
    assert [e.text for e in zapp.recorder.of(MessageEvent)] == ["một", "ba"]
    assert await zapp.runtime.inbox.drain_from(min(ids), still=_always) == 1  # then u2
    assert [e.text for e in zapp.recorder.of(MessageEvent)] == ["một", "ba", "hai"]
    assert await InboxEvent.filter(status="done").count() == 3


async def test_the_drain_leaves_a_user_whose_job_holds_the_lock(zapp: ZaloApp) -> None:
    pressed = [True]
    zapp.runtime.inbox.turns = turns = switched_turns(pressed, max_wait=30)
    assert await zapp.post(zapp.zalo.events.user_send_text("u1", "một")) == 200
    await wait_for(lambda: turns.held == 1, what="u1's job holding its lock, waiting its turn")
    zapp.runtime.inbox.turns = None
    first = await InboxEvent.filter(user_id="u1").first()
    assert first is not None
    assert await asyncio.wait_for(zapp.runtime.inbox.drain_from(first.id, still=_always), 5) == 0
    pressed[0] = False
    await zapp.inbox_done(1)  # handled once, by its own job
    assert [e.text for e in zapp.recorder.of(MessageEvent)] == ["một"]


async def _always() -> bool:
    return True


async def test_a_worker_beside_a_busy_serve_drains_the_burst_in_one_job(
    zalo: FakeZalo,
    aiohttp_client: Any,
    clean_db: str,
    zalo_settings: Callable[..., Settings],
    redis_url: str,
    is_postgres: bool,
) -> None:
    if not (redis_url and is_postgres):
        pytest.skip("the feeder needs PostgreSQL (NOTIFY) and Redis")
    settings = zalo_settings(REDIS_URL=redis_url, INGEST_PRIORITY_MAX_WAIT=0.05)
    app = await _start(aiohttp_client, settings, zalo, "redis")  # serve + a worker in-process
    runtime = app.runtime
    assert runtime.consumer is not None
    feeder = runtime.consumer.feeder
    assert feeder is not None
    await asyncio.wait_for(feeder.wait_listening(), 10)
    queued = feeder.queued
    await runtime.backends.kv.set(PRESSURE_KEY, "1", ttl=30)  # `serve` stays under pressure
    for text in ("một", "hai", "ba"):
        assert await app.post(zalo.events.user_send_text("u1", text)) == 200
    assert await app.post(zalo.events.user_send_text("u2", "bốn")) == 200
    await app.inbox_done(4)
    assert [e.text for e in app.recorder.of(MessageEvent) if e.user_id == "u1"] == [
        "một",
        "hai",
        "ba",
    ]
    assert feeder.drains >= 1 and feeder.queued == queued  # no job per user
    await runtime.backends.kv.delete(PRESSURE_KEY)
