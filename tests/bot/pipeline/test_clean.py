"""Each item made storable on its own: text cleaned, unstorable ids and nesting refused."""

from __future__ import annotations

from typing import Any

import pytest

from bot.contracts.inbox import InboxItem
from bot.pipeline.ingest.clean import MAX_DEPTH, Unstorable, clean_item, clean_items


def _item(body: dict[str, Any], user: str = "u1", key: str = "k1") -> InboxItem:
    return InboxItem("oa1", user, key, "user_send_text", body)


def test_a_clean_item_is_returned_as_it_is() -> None:
    item = _item({"message": {"text": "Chào shop", "n": 10**40}})  # big ints stay exact
    assert clean_item(item) is item


def test_nul_and_lone_surrogates_in_text_become_replacement_characters() -> None:
    item = _item({"message": {"text": "xin\x00chào", "a\ud800": ["b\udfff", 1]}})
    assert clean_item(item).body == {
        "message": {"text": "xin\ufffdchào", "a\ufffd": ["b\ufffd", 1]}
    }


@pytest.mark.parametrize(
    "field, value",
    [("user_id", "u\x00"), ("dedupe_key", "k\ud800"), ("user_id", "u" * 65), ("event_name", "")],
)
def test_unstorable_ids_are_refused(field: str, value: str) -> None:
    values = {"account_id": "oa1", "user_id": "u1", "dedupe_key": "k1", "event_name": "e"}
    item = InboxItem(**{**values, field: value}, body={})
    if value == "":
        assert clean_item(item) is item  # empty is storable (an OA-wide event has no user)
        return
    with pytest.raises(Unstorable, match=field):
        clean_item(item)


def test_nesting_deeper_than_the_limit_is_refused_and_dropped_alone() -> None:
    deep: Any = "x\x00"
    for _ in range(MAX_DEPTH + 2):
        deep = [deep]
    good = _item({"text": "ok"}, key="good")
    assert clean_items("zalo", [_item({"d": deep}, key="deep"), good]) == [good]
