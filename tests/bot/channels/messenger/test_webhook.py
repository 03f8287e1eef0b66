"""The Messenger webhook through the whole app: handshake, signature, batching, dedupe."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import ClientSession

from bot.channels.messenger.signature import sign
from bot.core.events import FollowEvent, MessageEvent, SharedInfoEvent
from bot.models import Contact, InboxEvent, OutboxMessage
from bot.settings import Settings
from tests.fakes.graph_api import FakeGraph

from .conftest import MessengerApp, wait_for


async def all_done() -> bool:
    return not await InboxEvent.filter(status__in=("pending", "processing")).exists()


async def outbox_drained() -> bool:
    return not await OutboxMessage.filter(status="pending").exists()


async def test_handshake(mapp: MessengerApp) -> None:
    fb = mapp.fb
    assert await fb.verify(mapp.url, challenge="1158201444") == (200, "1158201444")
    assert (await fb.verify(mapp.url, token="wrong"))[0] == 403
    assert (await fb.verify(mapp.url, mode="unsubscribe"))[0] == 403


async def test_vietnamese_text_is_verified_on_the_raw_escaped_bytes(mapp: MessengerApp) -> None:
    fb = mapp.fb
    text = "Chào shop, cho mình hỏi giờ mở cửa ạ? ☕"
    assert await fb.deliver(mapp.url, fb.envelope(fb.message("psid1", text))) == [200]
    assert b"\\u00e0" in fb.deliveries[-1].raw  # Meta's escaped form, as the fake sends it
    await wait_for(lambda: fb.texts("psid1"), what="the reply")
    assert fb.texts("psid1") == [f"echo: {text}"]
    (event,) = mapp.recorder.of(MessageEvent)
    assert event.text == text and event.account_id == fb.page_id


async def test_missing_or_bad_signature_is_refused_and_nothing_stored(mapp: MessengerApp) -> None:
    fb = mapp.fb
    envelope = fb.envelope(fb.message("psid1", "xin chào"))
    assert await fb.deliver(mapp.url, envelope, no_signature=True) == [403]
    assert await fb.deliver(mapp.url, envelope, bad_signature=True) == [403]
    raw = fb.encode(envelope)
    unescaped = raw.decode("unicode_escape").encode()  # the same JSON, other bytes
    async with ClientSession() as http:
        for header in (
            "sha1=" + fb.sign(raw)[len("sha256=") :],  # right digest, wrong scheme
            sign("not-the-app-secret", raw),
            sign(fb.app_secret, unescaped),  # what a re-serialising receiver would compute
        ):
            headers = {"X-Hub-Signature-256": header, "Content-Type": "application/json"}
            async with http.post(mapp.url, data=raw, headers=headers) as resp:
                assert resp.status == 403
    assert await InboxEvent.all().count() == 0
    assert fb.sent == []


async def test_bad_json_and_unknown_objects(mapp: MessengerApp) -> None:
    fb = mapp.fb
    assert await fb.deliver(mapp.url, b"{not json") == [400]
    async with ClientSession() as http:  # (the fake's driver only posts objects)
        raw = b"[1, 2]"
        async with http.post(mapp.url, data=raw, headers=fb.webhook_headers(raw)) as resp:
            assert resp.status == 400
    other = {"object": "instagram", "entry": [{"id": "1", "messaging": []}]}
    assert await fb.deliver(mapp.url, other) == [200]
    assert await InboxEvent.all().count() == 0


async def test_three_entries_from_three_people_get_three_answers(mapp_both: MessengerApp) -> None:
    fb = mapp_both.fb
    envelope = fb.envelope(
        fb.message("an", "một"), fb.message("binh", "hai"), fb.message("chi", "ba")
    )
    assert len(envelope["entry"]) == 3
    assert await fb.deliver(mapp_both.url, envelope) == [200]
    await wait_for(lambda: len(fb.texts()) == 3, what="three replies")
    assert {(s.psid, s.text) for s in fb.sent} == {
        ("an", "echo: một"),
        ("binh", "echo: hai"),
        ("chi", "echo: ba"),
    }


async def test_several_items_in_one_entry_keep_their_order(mapp: MessengerApp) -> None:
    fb = mapp.fb
    items = [fb.message("psid1", f"tin {i}", timestamp=1_700_000_000_000 + i) for i in range(4)]
    assert await fb.deliver(mapp.url, fb.envelope(*items, one_entry=True)) == [200]
    await wait_for(lambda: len(fb.texts("psid1")) == 4, what="four replies")
    assert fb.texts("psid1") == [f"echo: tin {i}" for i in range(4)]


async def test_the_same_mid_delivered_concurrently_is_answered_once(
    mapp_both: MessengerApp,
) -> None:
    fb = mapp_both.fb
    envelope = fb.envelope(fb.message("psid1", "chào", mid="m_same"))
    statuses = await fb.deliver(mapp_both.url, envelope, times=5, concurrently=True)
    assert statuses == [200] * 5
    await wait_for(lambda: fb.texts("psid1"), what="the reply")
    await wait_for(all_done, what="inbox drained")
    await wait_for(outbox_drained, what="outbox drained")
    assert await InboxEvent.filter(channel="messenger").count() == 1
    assert fb.texts("psid1") == ["echo: chào"]
    assert len(mapp_both.recorder.events) == 1


async def test_echoes_and_receipts_are_not_answered_but_update_delivery_state(
    mapp: MessengerApp,
) -> None:
    fb = mapp.fb
    fb.auto_webhooks(mapp.url, echoes=True, deliveries=True)
    assert await fb.deliver(mapp.url, fb.envelope(fb.message("psid1", "chào"))) == [200]
    row = await wait_for(
        lambda: OutboxMessage.filter(user_id="psid1", delivered_at__isnull=False).first(),
        what="delivery receipt applied",
    )
    assert row.platform_message_id == fb.sent[0].message_id
    assert fb.sent[0].body["message"]["metadata"] == f"outbox:{row.id}"
    await wait_for(lambda: InboxEvent.filter(event_name="echo").exists(), what="echo stored")
    await fb.drain()
    await wait_for(all_done, what="inbox drained")
    assert fb.texts("psid1") == ["echo: chào"]  # the echo of our reply got no reply
    assert [type(e) for e in mapp.recorder.events] == [MessageEvent]
    assert await fb.deliver(mapp.url, fb.envelope(fb.read("psid1"))) == [200]
    await wait_for(
        lambda: OutboxMessage.filter(id=row.id, seen_at__isnull=False).exists(), what="read"
    )


async def test_get_started_postback_reaches_the_handler_as_follow(mapp: MessengerApp) -> None:
    fb = mapp.fb
    item = fb.postback("psid1", "GET_STARTED", title="Bắt đầu", referral="ban-so-7")
    assert await fb.deliver(mapp.url, fb.envelope(item)) == [200]
    await wait_for(lambda: mapp.recorder.of(FollowEvent), what="the follow event")
    (event,) = mapp.recorder.of(FollowEvent)
    assert (event.user_id, event.referral) == ("psid1", "ban-so-7")
    await wait_for(lambda: fb.texts("psid1") == ["welcome"], what="welcome")
    contact = await Contact.get(channel="messenger", user_id="psid1")
    assert contact.last_inbound_at is not None


async def test_shared_phone_arrives_as_shared_info(mapp: MessengerApp) -> None:
    fb = mapp.fb
    item = fb.message("psid1", "+84901234567", quick_reply="+84901234567")
    assert await fb.deliver(mapp.url, fb.envelope(item)) == [200]
    (event,) = await wait_for(lambda: mapp.recorder.of(SharedInfoEvent), what="shared info")
    assert event.phone == "+84901234567"


async def test_standby_is_acknowledged_not_handled_but_opens_the_window(
    mapp: MessengerApp,
) -> None:
    fb = mapp.fb
    envelope = fb.envelope(fb.message("psid1", "cần nhân viên"), standby=True)
    assert await fb.deliver(mapp.url, envelope) == [200]
    await wait_for(lambda: InboxEvent.filter(status="done").exists(), what="standby processed")
    assert mapp.recorder.events == []
    assert fb.sent == []
    contact = await Contact.get(channel="messenger", user_id="psid1")
    assert contact.last_inbound_at is not None


async def test_string_timestamps(mapp: MessengerApp) -> None:
    fb = mapp.fb
    fb.string_timestamps = True
    assert await fb.deliver(
        mapp.url, fb.envelope(fb.message("psid1", "hi", timestamp=1700000000001))
    ) == [200]
    (event,) = await wait_for(lambda: mapp.recorder.of(MessageEvent), what="event")
    assert event.timestamp_ms == 1700000000001


async def test_sandbox_mode_uses_the_sandbox_secret_and_sends_nothing(
    fb: FakeGraph,
    aiohttp_client: Callable[..., object],
    clean_db: str,
    fb_settings: Callable[..., Settings],
) -> None:
    from bot.app import build_app

    from .conftest import Recorder, recording_router

    settings = fb_settings(FB_APP_SECRET="", FB_PAGE_ACCESS_TOKEN="", FB_PAGE_ID="")
    recorder = Recorder()
    client = await aiohttp_client(build_app(settings, routers=[recording_router(recorder)]))  # type: ignore[operator]
    url = str(client.make_url("/webhooks/messenger"))
    sandbox_driver = FakeGraph(app_secret=settings.SANDBOX_SECRET)
    envelope = sandbox_driver.envelope(sandbox_driver.message("psid1", "thử"))
    assert await fb.deliver(url, envelope) == [403]  # signed with the real app secret: wrong
    assert await sandbox_driver.deliver(url, envelope) == [200]
    row = await wait_for(
        lambda: OutboxMessage.filter(user_id="psid1", status="sent").first(), what="sandbox send"
    )
    assert row.platform_message_id == f"sandbox-{row.id}"
    assert row.payload["message"] == {"text": "echo: thử"}
    assert fb.requests == []
