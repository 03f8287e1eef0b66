"""Each item is made storable on its own before it joins a shared batch INSERT.

One event that the database cannot store (a NUL character, a lone surrogate, an id too long
for its column) used to fail the whole group commit, and with it every webhook in the
batch; the platform then retried it for ever, taking others down each time. Here:

- text anywhere in the body: NUL and lone surrogates become U+FFFD, the rest is kept;
- the ids the row is keyed on (account, user, dedupe key, event name): an item whose ids are
  not clean text within their columns is dropped, logged and acknowledged (a retry would
  bring the same bytes again);
- a body nested deeper than `MAX_DEPTH` is dropped the same way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot import fastjson
from bot.contracts.inbox import InboxItem

log = logging.getLogger("bot.pipeline.ingest.clean")

MAX_DEPTH = 32
ID_LIMITS = {"account_id": 64, "user_id": 64, "dedupe_key": 191, "event_name": 64}
_BAD = re.compile("[\x00\ud800-\udfff]")


class Unstorable(ValueError):
    """An item that cannot be stored as it is."""


def _text(value: str) -> str:
    return _BAD.sub("\ufffd", value) if _BAD.search(value) else value


def _clean(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return _text(value)
    if depth > MAX_DEPTH:
        raise Unstorable(f"body nested deeper than {MAX_DEPTH}")
    if isinstance(value, dict):
        return {_text(str(k)): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value]
    return value


def _id_ok(value: object, limit: int) -> bool:
    if not isinstance(value, str) or len(value) > limit:
        return False
    if value.isascii():  # the usual id: only NUL can be wrong
        return "\x00" not in value
    return _BAD.search(value) is None


def _storable(body: dict[str, Any]) -> bool:
    """The common case, in one C pass: orjson refuses lone surrogates and deep nesting, and
    a NUL shows as its escape in the text."""
    try:
        return b"\\u0000" not in fastjson.dumps_strict(body)
    except (TypeError, ValueError):
        return False


def clean_item(item: InboxItem) -> InboxItem:
    """The item with storable text, or `Unstorable`."""
    for name, limit in ID_LIMITS.items():
        if not _id_ok(getattr(item, name), limit):
            raise Unstorable(f"{name} is not storable text of at most {limit} characters")
    if _storable(item.body):
        return item
    body = _clean(item.body, 0)
    return item if body == item.body else replace(item, body=body)


def clean_items(channel: str, items: Sequence[InboxItem]) -> list[InboxItem]:
    """The storable items, in order; the others are logged (without their content)."""
    kept: list[InboxItem] = []
    for item in items:
        try:
            kept.append(clean_item(item))
        except Unstorable as exc:
            log.warning("%s webhook item dropped: %s", channel, exc)
    return kept
