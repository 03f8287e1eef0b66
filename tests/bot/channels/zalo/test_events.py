"""Every webhook event of the reference table → typed event → inbox item → neutral events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels.zalo.inbound import CHAT_NOW, encode_payload, to_neutral
from bot.channels.zalo.parser import dedupe_key, parse_event, to_inbox_item
from bot.channels.zalo.types.events import (
    Echo,
    Follow,
    Receipt,
    TagChange,
    UnknownEvent,
    UserMessage,
)
from bot.core.events import (
    Attachment,
    FollowEvent,
    MessageEvent,
    PayloadEvent,
    ReactionEvent,
    SharedInfoEvent,
    UnfollowEvent,
)
from tests.fakes.zalo_api import FakeZalo

fake = FakeZalo(oa_id="579745863508352884")
OA = fake.oa_id
USER = "6174315231384629001"  # above 2^53: must survive as a string


def neutral(body: dict[str, Any], **kw: Any) -> list[Any]:
    body = json.loads(json.dumps(body))  # what the inbox stores and gives back
    return to_neutral(parse_event(body), account_id=OA, **kw)


def test_user_text_keeps_big_ids_and_vietnamese() -> None:
    body = fake.events.user_send_text(
        USER, "Chào shop, cho mình hỏi giá ạ", msg_id="cb31dff1c39642cc1b83"
    )
    event = parse_event(body)
    assert isinstance(event, UserMessage) and event.user_id == USER and event.oa == OA
    item = to_inbox_item(event, body, event.oa or "")
    key = "user_send_text:cb31dff1c39642cc1b83"
    assert (item.account_id, item.user_id, item.dedupe_key) == (OA, USER, key)
    [msg] = neutral(body)
    assert isinstance(msg, MessageEvent)
    assert msg.text == "Chào shop, cho mình hỏi giá ạ" and msg.user_id == USER
    assert msg.event_id == "cb31dff1c39642cc1b83" and msg.channel == "zalo"
    assert msg.timestamp_ms == int(body["timestamp"]) and msg.user_id_by_app


def test_numeric_ids_are_read_exactly_as_strings() -> None:
    body = fake.events.user_send_text(USER, "hi")
    body["sender"]["id"] = int(USER)  # a producer that forgot the quotes
    assert parse_event(body).user_id == USER


def test_quote_becomes_reply_to() -> None:
    [msg] = neutral(fake.events.user_send_text(USER, "cái này", quote_msg_id="abc123"))
    assert msg.reply_to == "abc123"


def test_hidden_button_text_comes_back_as_payload() -> None:
    [event] = neutral(fake.events.user_send_text(USER, encode_payload("game:lucky-wheel")))
    assert isinstance(event, PayloadEvent) and event.payload == "game:lucky-wheel"
    [menu] = neutral(fake.events.user_send_text(USER, "#tracuu"))  # an OA menu item
    assert isinstance(menu, PayloadEvent) and menu.payload == "tracuu"
    [plain] = neutral(fake.events.user_send_text(USER, "#"))
    assert isinstance(plain, MessageEvent)


def test_numbered_choice_answer_becomes_payload_only_with_choices() -> None:
    body = fake.events.user_send_text(USER, " 2 ")
    choices = {"1": ("card", "Thẻ"), "2": ("vouchers", "Ưu đãi")}
    [picked] = neutral(body, choices=choices)
    assert isinstance(picked, PayloadEvent) and (picked.payload, picked.title) == (
        "vouchers",
        "Ưu đãi",
    )
    [plain] = neutral(body)
    assert isinstance(plain, MessageEvent) and plain.text == " 2 "


@pytest.mark.parametrize(
    ("builder", "kind", "url"),
    [
        (
            lambda: fake.events.user_send_image(USER, text="ảnh nè"),
            "image",
            "https://photo-stal.zadn.vn/u/a.jpg",
        ),
        (lambda: fake.events.user_send_gif(USER), "gif", "https://photo-stal.zadn.vn/u/a.gif"),
        (lambda: fake.events.user_send_sticker(USER), "sticker", None),
        (lambda: fake.events.user_send_audio(USER), "audio", "https://voice-aac.zadn.vn/a.aac"),
        (lambda: fake.events.user_send_video(USER), "video", "https://video.zadn.vn/a.mp4"),
        (
            lambda: fake.events.user_send_file(USER, name="hóa đơn.pdf"),
            "file",
            "https://f.zadn.vn/a.pdf",
        ),
        (
            lambda: fake.events.user_send_link(USER, "https://shop.vn/sp/1"),
            "link",
            "https://shop.vn/sp/1",
        ),
    ],
)
def test_attachments(builder: Any, kind: str, url: str | None) -> None:
    [msg] = neutral(builder())
    assert isinstance(msg, MessageEvent)
    [att] = msg.attachments
    assert att.type == kind
    if url:
        assert att.url == url
    if kind == "image":
        assert msg.text == "ảnh nè"
    if kind == "file":
        assert att.name == "hóa đơn.pdf"


def test_location_in_both_shapes() -> None:
    [msg] = neutral(fake.events.user_send_location(USER, 10.7769, 106.7009))
    assert msg.attachments == (Attachment(type="location", latitude=10.7769, longitude=106.7009),)
    body = fake.events.user_send_text(USER, "")
    body["event_name"] = "user_send_location"
    body["message"]["location"] = {"latitude": "21.0285", "longitude": "105.8542"}
    [old] = neutral(body)
    assert old.attachments[0].latitude == pytest.approx(21.0285)


def test_follow_and_unfollow() -> None:
    body = fake.events.follow(USER)
    event = parse_event(body)
    assert isinstance(event, Follow) and event.user_id == USER and event.oa == OA
    assert to_inbox_item(event, body, "x").dedupe_key == f"follow:{USER}:{body['timestamp']}"
    [follow] = neutral(body)
    assert isinstance(follow, FollowEvent)
    assert follow.source == "oa_profile" and follow.user_id_by_app == body["user_id_by_app"]
    assert ":" in follow.event_id  # never mistaken for a message id by the renderer
    [unfollow] = neutral(fake.events.unfollow(USER))
    assert isinstance(unfollow, UnfollowEvent) and unfollow.user_id == USER


def test_submit_info_both_shapes() -> None:
    body = fake.events.user_submit_info(
        USER,
        name="Nguyễn Thị Lan",
        phone="84912345678",
        address="12 Lê Lợi",
        city="Huế",
        ward="Phú Hội",
    )
    [info] = neutral(body)
    assert isinstance(info, SharedInfoEvent)
    assert (info.phone, info.name) == ("84912345678", "Nguyễn Thị Lan")
    assert info.address == "12 Lê Lợi, Phú Hội, Huế"
    legacy = fake.events.user_submit_info(
        USER, name="Lan", phone="0912345678", city="Huế", legacy=True
    )
    [old] = neutral(legacy)
    assert old.phone == "0912345678" and old.address == "Huế"


def test_chat_now_is_a_payload() -> None:
    [event] = neutral(fake.events.user_click_chatnow(USER))
    assert isinstance(event, PayloadEvent) and event.payload == CHAT_NOW


def test_user_reaction() -> None:
    body = fake.events.user_reacted_message(USER, "m42", "/-heart")
    [event] = neutral(body)
    assert isinstance(event, ReactionEvent) and (event.message_id, event.reaction) == (
        "m42",
        "/-heart",
    )
    assert dedupe_key(parse_event(body)) != "m42"  # the id is the reacted message's


def test_oa_side_events_name_the_user_from_the_recipient_and_yield_nothing() -> None:
    echo = fake.events.oa_send_text(USER, "Chào bạn", msg_id="e1")
    received = fake.events.user_received_message(USER, "e1")
    seen = fake.events.user_seen_message(USER, ["e2", "e1"])
    oa_react = fake.events.oa_reacted_message(USER, "m1")
    for body in (echo, received, seen, oa_react):
        event = parse_event(body)
        assert event.user_id == USER and event.oa == OA
        assert neutral(body) == []
    assert isinstance(parse_event(echo), Echo)
    assert dedupe_key(parse_event(echo)) == "oa_send_text:e1"
    # The receipt carries the echo's msg_id: their keys must differ or one would be dropped.
    assert dedupe_key(parse_event(received)) == f"user_received_message:{USER}:e1"
    seen_event = parse_event(seen)
    assert isinstance(seen_event, Receipt) and seen_event.message_ids == ["e2", "e1"]
    assert dedupe_key(seen_event) == f"user_seen_message:{USER}:e1+e2"


def test_staff_echo_and_other_oa_send_kinds_are_echoes() -> None:
    body = fake.events.oa_send_text(USER, "Nhân viên trả lời", admin_id="77")
    event = parse_event(body)
    assert isinstance(event, Echo) and event.sender.admin_id == "77"
    body["event_name"] = "oa_send_audio"  # not in our list: still an echo
    assert isinstance(parse_event(body), Echo) and neutral(body) == []


def test_tag_events() -> None:
    for body in (
        fake.events.add_user_to_tag("VIP", [USER]),
        fake.events.remove_user_from_tag("VIP", [USER]),
        fake.events.remove_tag("VIP"),
    ):
        event = parse_event(body)
        assert isinstance(event, TagChange) and event.tag.name == "VIP" and event.oa == OA
        assert event.user_id == "" and neutral(body) == []


def test_zns_receipt_addressed_to_a_phone() -> None:
    from tests.fakes.zalo.state import ZnsMessage

    item = ZnsMessage("84912345678", "t1", {}, "track-1", "zmsg1", 0, None)
    event = parse_event(fake.events.zns_receipt(item))
    assert isinstance(event, Receipt) and event.user_id == "84912345678"
    assert event.message.tracking_id == "track-1" and neutral(fake.events.zns_receipt(item)) == []


def test_unknown_and_malformed_events_are_kept_but_not_handled() -> None:
    unknown = {
        "app_id": "1",
        "event_name": "user_send_business_card_v9",
        "timestamp": "5",
        "sender": {"id": USER},
        "recipient": {"id": OA},
    }
    event = parse_event(unknown)
    assert isinstance(event, UnknownEvent) and event.user_id == USER
    assert to_inbox_item(event, unknown, "x").dedupe_key == f"user_send_business_card_v9:{USER}:5"
    assert neutral(unknown) == []
    broken = {"event_name": "user_send_text", "timestamp": "6", "sender": "not an object"}
    bad = parse_event(broken)
    assert isinstance(bad, UnknownEvent) and bad.invalid and neutral(broken) == []
    assert isinstance(parse_event({}), UnknownEvent)


def test_bounds_refuse_huge_nested_payloads_without_crashing() -> None:
    body = fake.events.user_send_image(USER)
    body["message"]["attachments"] *= 1000
    assert isinstance(parse_event(body), UnknownEvent)
    long_key = fake.events.user_seen_message(USER, [f"{i:020x}" for i in range(400)])
    key = dedupe_key(parse_event(long_key))
    assert len(key) <= 191 and key.startswith("h:user_seen_message:")
