"""Cutting the Messenger envelope into inbox items: the plain-message shortcut agrees with
the full payload model on every item, and declines everything it is not sure about."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.channels.messenger.webhook import (
    _inbox_item,
    _plain_message,
    _validated_item,
    split_envelope,
)

PAGE = "109876543210987"


def plain(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "sender": {"id": "7100000000001234"},
        "recipient": {"id": PAGE},
        "timestamp": 1763800000000,
        "message": {"mid": "m_abc", "text": "Cho mình hỏi vòng quay may mắn còn không ạ?"},
    }
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    return item


TAKEN = {
    "plain": plain(),
    "no text": plain(message={"mid": "m_1"}),
    "no recipient, no timestamp": plain(recipient=None, timestamp=None),
    "text at the limit": plain(message={"mid": "m_2", "text": "a" * 20_000}),
    "mid at the limit": plain(message={"mid": "m" * 256, "text": "x"}),
}
DECLINED = {
    "text over the limit": plain(message={"mid": "m_3", "text": "a" * 20_001}),
    "mid over the limit": plain(message={"mid": "m" * 257}),
    "numeric sender id": plain(sender={"id": 7100000000001234}),
    "string timestamp": plain(timestamp="1763800000000"),
    "bool timestamp": plain(timestamp=True),
    "echo": plain(message={"mid": "m_4", "text": "x", "is_echo": True, "app_id": 1}),
    "quick reply": plain(message={"mid": "m_5", "text": "Có", "quick_reply": {"payload": "Y"}}),
    "attachment": plain(message={"mid": "m_6", "attachments": [{"type": "image"}]}),
    "unknown key": plain(policy_enforcement={"action": "block"}),
    "sender user_ref": plain(sender={"user_ref": "guest-1"}),
    "empty psid": plain(sender={"id": ""}),
    "text is null": plain(message={"mid": "m_7", "text": None}),
    "postback": plain(message=None, postback={"mid": "m_8", "title": "Menu", "payload": "M"}),
    "read receipt": plain(message=None, read={"watermark": 1763800000000}),
    "message not an object": plain(message="m_9"),
}


@pytest.mark.parametrize("standby", [False, True])
@pytest.mark.parametrize("name", list(TAKEN) + list(DECLINED))
def test_the_shortcut_gives_what_the_model_gives(name: str, standby: bool) -> None:
    raw = {**TAKEN, **DECLINED}[name]
    before = copy.deepcopy(raw)
    quick = _inbox_item(raw, PAGE, standby=standby)
    assert quick == _validated_item(raw, PAGE, standby=standby)
    assert raw == before  # stored as received
    if name in TAKEN:
        assert _plain_message(raw) is not None
        assert quick is not None and quick.body["item"] is raw
        assert quick.event_name == ("standby:message" if standby else "message")
    else:
        assert _plain_message(raw) is None


def test_the_models_verdicts_stand_for_what_the_shortcut_declines() -> None:
    """The declined items still get the model's answers: dropped, ignored or stored."""
    assert _inbox_item(DECLINED["text over the limit"], PAGE, standby=False) is None
    assert _inbox_item(DECLINED["sender user_ref"], PAGE, standby=False) is None
    numeric = _inbox_item(DECLINED["numeric sender id"], PAGE, standby=False)
    assert numeric is not None and numeric.user_id == "7100000000001234"
    echo = _inbox_item(DECLINED["echo"], PAGE, standby=False)
    assert echo is not None and (echo.event_name, echo.user_id) == ("echo", PAGE)


def test_a_long_mid_gets_a_hashed_key_on_both_paths() -> None:
    long_mid = plain(message={"mid": "m" * 250, "text": "x"})
    item = _inbox_item(long_mid, PAGE, standby=True)
    assert item is not None and item.dedupe_key.startswith("standby:message:h:")
    assert len(item.dedupe_key) <= 191
    assert item == _validated_item(long_mid, PAGE, standby=True)


def test_split_mixes_both_paths_in_order() -> None:
    envelope = {
        "object": "page",
        "entry": [
            {"id": PAGE, "messaging": [TAKEN["plain"], DECLINED["postback"]]},
            {"id": PAGE, "standby": [TAKEN["no text"]]},
        ],
    }
    items = split_envelope(envelope, PAGE)
    assert [(i.event_name, i.dedupe_key) for i in items] == [
        ("message", "message:m_abc"),
        ("postback", "postback:m_8"),
        ("standby:message", "standby:message:m_1"),
    ]
