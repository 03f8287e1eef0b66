"""Webhook items (built by the fake's driver, as Meta sends them) → neutral events."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.messenger.parser import parse_item
from bot.channels.messenger.webhook import split_envelope
from bot.core.events import (
    FollowEvent,
    MessageEvent,
    PayloadEvent,
    ReactionEvent,
    ReferralEvent,
    SharedInfoEvent,
)
from tests.fakes.graph_api import FakeGraph


@pytest.fixture
def driver() -> FakeGraph:
    return FakeGraph()  # builders only; never started


def events(driver: FakeGraph, *items: dict[str, Any], standby: bool = False) -> list[Any]:
    envelope = driver.encode(driver.envelope(*items, standby=standby))
    import json

    out: list[Any] = []
    for inbox_item in split_envelope(json.loads(envelope), "page1", only_page="page1"):
        out += parse_item(inbox_item.body, "page1")[1]
    return out


@pytest.mark.parametrize("string_timestamps", [False, True])
def test_text_message(driver: FakeGraph, string_timestamps: bool) -> None:
    driver.string_timestamps = string_timestamps
    (event,) = events(
        driver, driver.message("psid1", "Chào shop", mid="m_1", timestamp=1700000000123)
    )
    assert isinstance(event, MessageEvent)
    assert (event.user_id, event.account_id, event.event_id) == ("psid1", "page1", "m_1")
    assert event.text == "Chào shop"
    assert event.timestamp_ms == 1700000000123
    assert event.channel == "messenger"


def test_attachments_and_reply_to(driver: FakeGraph) -> None:
    item = driver.message(
        "psid1",
        attachments=[
            {"type": "image", "payload": {"url": "https://cdn/x.png"}},
            {
                "type": "image",
                "payload": {"url": "https://cdn/s.png", "sticker_id": 369239263222822},
            },
            {"type": "location", "payload": {"coordinates": {"lat": 10.77, "long": 106.7}}},
        ],
        reply_to="m_0",
    )
    (event,) = events(driver, item)
    assert [a.type for a in event.attachments] == ["image", "sticker", "location"]
    assert event.attachments[0].url == "https://cdn/x.png"
    assert (event.attachments[2].latitude, event.attachments[2].longitude) == (10.77, 106.7)
    assert event.reply_to == "m_0"


def test_quick_replies_payload_phone_and_email(driver: FakeGraph) -> None:
    found = events(
        driver,
        driver.message("psid1", "Vòng quay", quick_reply="game:lucky-wheel"),
        driver.message("psid1", "+84901234567", quick_reply="+84901234567"),
        driver.message("psid1", "lan@example.com", quick_reply="lan@example.com"),
    )
    assert isinstance(found[0], PayloadEvent)
    assert (found[0].payload, found[0].title) == ("game:lucky-wheel", "Vòng quay")
    assert isinstance(found[1], SharedInfoEvent) and found[1].phone == "+84901234567"
    assert isinstance(found[2], SharedInfoEvent) and found[2].email == "lan@example.com"


def test_postbacks_get_started_and_referrals(driver: FakeGraph) -> None:
    found = events(
        driver,
        driver.postback("psid1", "GET_STARTED", title="Bắt đầu", referral="summer-qr", mid="m_gs"),
        driver.postback("psid1", "card", title="Thẻ thành viên"),
        driver.postback("psid1", "vouchers", referral="ad-42"),
        driver.referral("psid1", "table-7"),
    )
    follow, card, vouchers, ref = found
    assert isinstance(follow, FollowEvent)
    assert (follow.referral, follow.source, follow.event_id) == ("summer-qr", "SHORTLINK", "m_gs")
    assert isinstance(card, PayloadEvent) and card.payload == "card" and card.referral is None
    assert vouchers.referral == "ad-42"
    assert isinstance(ref, ReferralEvent) and (ref.ref, ref.source) == ("table-7", "SHORTLINK")


def test_get_started_without_referral(driver: FakeGraph) -> None:
    (follow,) = events(driver, driver.postback("psid1", "GET_STARTED"))
    assert isinstance(follow, FollowEvent) and follow.referral is None


def test_reactions_and_optins(driver: FakeGraph) -> None:
    found = events(
        driver,
        driver.reaction("psid1", "m_5", "love"),
        driver.reaction("psid1", "m_5", "love", action="unreact"),
        driver.optin("psid1", payload="weekly-deals"),
        driver.optin("psid1", kind="", ref="plugin-ref"),
    )
    react, unreact, optin, plugin = found
    assert isinstance(react, ReactionEvent)
    assert (react.message_id, react.reaction, react.action) == ("m_5", "love", "react")
    assert unreact.action == "unreact" and unreact.event_id != react.event_id
    assert isinstance(optin, PayloadEvent) and optin.payload == "weekly-deals"
    assert isinstance(plugin, ReferralEvent) and plugin.ref == "plugin-ref"


def test_echoes_receipts_edits_and_standby_reach_no_handler(driver: FakeGraph) -> None:
    assert events(driver, driver.echo("psid1", "our reply")) == []
    assert events(driver, driver.delivery("psid1", ["m_1"])) == []
    assert events(driver, driver.read("psid1")) == []
    assert events(driver, driver.message_edit("psid1", "m_1", "sửa")) == []
    assert events(driver, driver.message("psid1", "hi"), standby=True) == []


def test_split_keeps_every_entry_and_item_and_drops_foreign_pages(driver: FakeGraph) -> None:
    envelope = driver.envelope(
        driver.entry(driver.message("a", "1"), driver.message("b", "2")),
        driver.message("c", "3"),
        driver.entry(driver.message("d", "4"), standby=True),
    )
    envelope["entry"].append({"id": "other-page", "messaging": [driver.message("e", "5")]})
    envelope["entry"].append({"id": "page1", "messaging": [{"sender": {"user_ref": "u"}}]})
    items = split_envelope(envelope, "page1", only_page="page1")
    assert [(i.user_id, i.event_name) for i in items] == [
        ("a", "message"),
        ("b", "message"),
        ("c", "message"),
        ("d", "standby:message"),
    ]
    echo = split_envelope(driver.envelope(driver.echo("psid9", "x", mid="m_e")), "page1")
    assert (echo[0].user_id, echo[0].dedupe_key) == ("psid9", "echo:m_e")


def test_dedupe_keys(driver: FakeGraph) -> None:
    def key(item: dict[str, Any]) -> str:
        return split_envelope(driver.envelope(item), "page1")[0].dedupe_key

    assert key(driver.message("p", "x", mid="m_1")) == "message:m_1"
    assert key(driver.postback("p", "card", mid="m_2")) == "postback:m_2"
    no_mid = driver.postback("p", "card", timestamp=1700000000000)
    del no_mid["postback"]["mid"]
    assert key(no_mid) == "postback:p:1700000000000"
    assert key(driver.read("p", watermark=5)) == "read:p:5"
    long_mid = driver.message("p", "x", mid="m_" + "x" * 200)
    assert len(key(long_mid)) <= 191
