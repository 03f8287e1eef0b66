"""The sandbox endpoints: an event goes in through the real, signed webhook (an inbox row is
the proof the signature held), and the bot's answer comes back on the event stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.models import Contact, InboxEvent
from bot.settings import Settings
from tests.bot.sandbox.conftest import (
    Sandbox,
    buttons_of,
    choices_of,
    image_of,
    running,
    text_of,
    wait_for,
    zalo_message,
)

GREETING_ZALO = "Chào Lan! ☕ Cảm ơn bạn đã quan tâm Cà Phê Sữa Đá."
MENU_INTRO = "Lan ơi, hôm nay bạn muốn làm gì nè?"


async def inbox_rows(channel: str, user_id: str) -> list[InboxEvent]:
    return await InboxEvent.filter(channel=channel, user_id=user_id).order_by("id")


async def test_zalo_text_goes_through_the_webhook_and_the_reply_is_streamed(
    sandbox_both: Sandbox,
) -> None:
    box = sandbox_both
    stream = await box.stream("zalo", "u-text")
    answer = await box.post("zalo", "u-text", type="text", text="menu")
    event = answer["event"]
    assert event["event_name"] == "user_send_text"
    assert event["sender"] == {"id": "u-text"}
    assert event["recipient"] == {"id": "sandbox-oa"}
    assert event["message"]["text"] == "menu"
    assert isinstance(event["timestamp"], str) and event["timestamp"].isdigit()

    rows = await wait_for(lambda: inbox_rows("zalo", "u-text"), what="the inbox row")
    assert rows[0].event_name == "user_send_text"
    assert rows[0].body["message"]["text"] == "menu"
    assert rows[0].dedupe_key == f"user_send_text:{event['message']['msg_id']}"

    menu = await stream.until(lambda d: MENU_INTRO in text_of(d), what="the menu")
    assert menu["channel"] == "zalo" and menu["status"] == "sent"
    assert menu["method"] == "message/cs"
    # Seven menu items are more than Zalo's five buttons: the numbered fallback.
    assert "1. Vòng quay may mắn" in text_of(menu)
    assert menu["payload"]["choices"]["1"] == ["game:lucky-wheel", "Vòng quay may mắn"]
    contact = await Contact.get(channel="zalo", user_id="u-text")
    assert contact.display_name == "Lan"


async def test_zalo_follow_greets_by_name_and_a_numbered_answer_opens_the_wheel(
    sandbox_both: Sandbox,
) -> None:
    box = sandbox_both
    stream = await box.stream("zalo", "u-follow")
    event = (await box.post("zalo", "u-follow", type="follow"))["event"]
    assert event["event_name"] == "follow"
    assert event["follower"] == {"id": "u-follow"}
    assert event["sandbox_profile"] == {"name": "Lan"}
    greeting = await stream.until(lambda d: GREETING_ZALO in text_of(d), what="the greeting")
    banner = await stream.until(lambda d: image_of(d) is not None, what="the banner")
    assert banner["id"] > greeting["id"]
    await stream.until(lambda d: "choices" in d["payload"], what="the numbered menu")

    # The user types "1", as a Zalo user would: the stream has remembered the choices.
    await box.post("zalo", "u-follow", type="text", text="1")
    wheel = await stream.until(lambda d: image_of(d) is not None, what="the wheel")
    assert "/media/" in (image_of(wheel) or "")
    titles = [b["title"] for b in buttons_of(wheel)]
    assert "Quay ngay" in titles


async def test_zalo_tapped_button_sends_its_payload_as_text(sandbox: Sandbox) -> None:
    stream = await sandbox.stream("zalo", "u-tap")
    await sandbox.post("zalo", "u-tap", type="tap", payload="#game:lucky-wheel", title="Vòng quay")
    wheel = await stream.until(lambda d: image_of(d) is not None, what="the wheel")
    spin = next(b for b in buttons_of(wheel) if b["title"] == "Quay ngay")
    assert spin["type"] == "oa.query.hide" and spin["payload"].startswith("#")
    await sandbox.post("zalo", "u-tap", type="tap", payload=spin["payload"], title="Quay ngay")
    gif = await stream.until(
        lambda d: (image_of(d) or "").endswith(".gif"), what="the spin result GIF"
    )
    element = zalo_message(gif)["attachment"]["payload"]["elements"][0]
    assert element["media_type"] == "gif" and element["width"] and element["height"]
    result = await stream.until(lambda d: d["id"] > gif["id"], what="the prize text")
    assert text_of(result)
    media = await sandbox.client.get((image_of(gif) or "")[len("http://127.0.0.1:8080") :])
    assert media.status == 200 and media.content_type == "image/gif"


async def test_zalo_shared_phone_is_a_user_submit_info(sandbox: Sandbox) -> None:
    stream = await sandbox.stream("zalo", "u-phone")
    event = (await sandbox.post("zalo", "u-phone", type="phone", phone="0912 345 678"))["event"]
    assert event["event_name"] == "user_submit_info"
    assert event["info"] == {"name": "Lan", "phone": "84912345678"}
    saved = await stream.until(lambda d: "0912345678" in text_of(d), what="the phone saved")
    assert saved["status"] == "sent"
    rows = await inbox_rows("zalo", "u-phone")
    assert [r.event_name for r in rows] == ["user_submit_info"]


async def test_messenger_get_started_text_and_postback(sandbox_both: Sandbox) -> None:
    box = sandbox_both
    stream = await box.stream("messenger", "p-1")
    event = (await box.post("messenger", "p-1", type="follow", title="Bắt đầu"))["event"]
    item = event["entry"][0]["messaging"][0]
    assert event["object"] == "page"
    assert item["sender"] == {"id": "p-1"} and item["recipient"] == {"id": "sandbox-page"}
    assert item["postback"]["payload"] == "GET_STARTED"
    greeting = await stream.until(
        lambda d: "rất vui được gặp bạn" in text_of(d), what="the greeting"
    )
    assert text_of(greeting).startswith("Chào Lan!")  # the sandbox user's name, as a profile
    menu = await stream.until(lambda d: bool(choices_of(d)), what="the menu choices")
    assert len(buttons_of(menu)) <= 3  # Messenger's button template limit
    assert len(choices_of(menu)) == 7  # the rest ride as quick-reply chips
    row = (await inbox_rows("messenger", "p-1"))[0]
    assert row.event_name == "postback"

    await box.post("messenger", "p-1", type="text", text="giờ mở cửa")
    await stream.until(lambda d: "mở cửa từ 7:00" in text_of(d), what="the opening hours")

    await box.post(
        "messenger", "p-1", type="tap", kind="postback", payload="game:lucky-wheel", title="Quay"
    )
    wheel = await stream.until(lambda d: image_of(d) is not None, what="the wheel")
    spin = await stream.until(
        lambda d: any(b.get("title") == "Quay ngay" for b in buttons_of(d)), what="spin button"
    )
    assert spin["id"] >= wheel["id"]
    kinds = [r.event_name for r in await inbox_rows("messenger", "p-1")]
    assert kinds == ["postback", "message", "postback"]


async def test_messenger_quick_reply_and_phone(sandbox: Sandbox) -> None:
    stream = await sandbox.stream("messenger", "p-2")
    await sandbox.post("messenger", "p-2", type="text", text="số điện thoại")
    ask = await stream.until(
        lambda d: any(
            q.get("content_type") == "user_phone_number"
            for q in (d["payload"].get("message") or {}).get("quick_replies") or []
        ),
        what="the phone quick reply",
    )
    assert ask["status"] == "sent"
    event = (await sandbox.post("messenger", "p-2", type="phone", phone="0912345678"))["event"]
    message = event["entry"][0]["messaging"][0]["message"]
    assert message["quick_reply"] == {"payload": "+84912345678"}
    await stream.until(lambda d: "0912345678" in text_of(d), what="the phone saved")

    event = (
        await sandbox.post(
            "messenger", "p-2", type="tap", kind="quick_reply", payload="menu", title="Menu"
        )
    )["event"]
    message = event["entry"][0]["messaging"][0]["message"]
    assert message["text"] == "Menu" and message["quick_reply"] == {"payload": "menu"}
    await stream.until(lambda d: "hôm nay bạn muốn làm gì" in text_of(d), what="the menu")


async def test_stream_replays_history_then_resumes_after_last_event_id(sandbox: Sandbox) -> None:
    first = await sandbox.stream("messenger", "p-3")
    await sandbox.post("messenger", "p-3", type="text", text="menu")
    menu = await first.until(lambda d: bool(choices_of(d)), what="the menu")
    assert menu["replay"] is False
    await first.resp.release()

    again = await sandbox.stream("messenger", "p-3", history=20)
    replayed = await again.until(lambda d: d["id"] == menu["id"], what="the replayed menu")
    assert replayed["replay"] is True
    await again.resp.release()

    # Reconnecting with Last-Event-ID skips what was drawn.
    resumed = await sandbox.stream("messenger", "p-3", last_id=str(menu["id"]))
    await sandbox.post("messenger", "p-3", type="text", text="wifi")
    wifi = await resumed.until(lambda d: "caphesuada" in text_of(d), what="the wifi answer")
    assert wifi["replay"] is False
    assert all(f.data["id"] > menu["id"] for f in resumed.seen if f.event == "message")


async def test_signs_with_the_channels_own_secret_when_it_has_one(
    clean_db: str, make_settings: Callable[..., Settings]
) -> None:
    # Secrets set, no access tokens: both channels still deliver to the sandbox, but their
    # webhooks now check the real keys (and the configured app and page ids).
    settings = make_settings(
        ZALO_APP_ID="4321",
        ZALO_OA_ID="8765",
        ZALO_OA_SECRET_KEY="real-oa-secret",
        FB_APP_SECRET="real-app-secret",
        FB_PAGE_ID="1111",
    )
    assert not settings.zalo_configured and not settings.messenger_configured
    async with running(settings) as box:
        zalo = (await box.post("zalo", "u-key", type="text", text="menu"))["event"]
        assert zalo["app_id"] == "4321" and zalo["recipient"] == {"id": "8765"}
        fb = (await box.post("messenger", "p-key", type="text", text="menu"))["event"]
        assert fb["entry"][0]["id"] == "1111"
        assert await wait_for(lambda: inbox_rows("zalo", "u-key"), what="zalo inbox row")
        assert await wait_for(lambda: inbox_rows("messenger", "p-key"), what="fb inbox row")


def bad(channel: str = "zalo", user: Any = None, **action: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"channel": channel, **action}
    if user is not False:
        body["user"] = user if user is not None else {"id": "u1"}
    return body


BAD_EVENTS = [
    (bad("telegram", type="text", text="hi"), "channel"),
    (bad(user=False, type="text", text="hi"), "user"),
    (bad(user={"id": "u 1"}, type="text", text="hi"), "user.id"),
    (bad(user={"id": ""}, type="text", text="hi"), "id"),
    (bad(user={"id": "u1", "name": 5}, type="follow"), "name"),
    (bad(type="dance"), "type"),
    (bad(type="text", text="  "), "text"),
    (bad(type="text", text="x" * 4001), "text"),
    (bad(type="tap"), "payload"),
    (bad(type="tap", payload="#x", kind="postback"), "kind"),
    (bad("messenger", type="unfollow"), "unfollow"),
    (bad(type="phone", phone="abc"), "phone"),
    (bad(type="phone", phone="+1 212 555 0100"), "phone"),
    (["not", "an", "object"], "object"),
]


@pytest.mark.parametrize(("body", "mentions"), BAD_EVENTS)
async def test_bad_event_is_400_json_and_nothing_is_stored(
    sandbox: Sandbox, body: Any, mentions: str
) -> None:
    resp = await sandbox.client.post("/sandbox/api/events", json=body)
    assert resp.status == 400
    data = await resp.json()
    assert data["ok"] is False and data["error"] == "bad_request"
    assert mentions in data["detail"]
    assert await InboxEvent.all().count() == 0


async def test_body_must_be_json(sandbox: Sandbox) -> None:
    resp = await sandbox.client.post(
        "/sandbox/api/events", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400 and "JSON" in (await resp.json())["detail"]
    # A form post (what another site could send without asking) is refused.
    resp = await sandbox.client.post("/sandbox/api/events", data={"channel": "zalo"})
    assert resp.status == 400 and "Content-Type" in (await resp.json())["detail"]


@pytest.mark.parametrize(
    "query",
    [
        {"channel": "sms", "user_id": "u1"},
        {"channel": "zalo"},
        {"channel": "zalo", "user_id": "bad id"},
        {"channel": "zalo", "user_id": "u1", "history": "-1"},
    ],
)
async def test_bad_stream_query_is_400_json(sandbox: Sandbox, query: dict[str, str]) -> None:
    resp = await sandbox.client.get("/sandbox/api/stream", params=query)
    assert resp.status == 400
    assert (await resp.json())["ok"] is False
