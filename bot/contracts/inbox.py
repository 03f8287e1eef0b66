"""The inbound contract: one stored webhook item, and the `Ingest` that stores them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One platform event cut out of a webhook POST, ready to store."""

    account_id: str
    user_id: str
    dedupe_key: str  # platform message id, or event kind + user + timestamp
    event_name: str
    body: dict[str, Any]


Row = tuple[str, InboxItem]  # (channel name, item)
NewRows = list[tuple[Row, int]]  # rows that were new, with their inbox ids


class Ingest(Protocol):
    """What a webhook hands its verified items to.

    `submit` returns once the items are durable (committed), with how many were new; the
    platform's 200 may be sent then. The new rows reach the consumers afterwards.
    """

    async def submit(self, channel: str, items: Sequence[InboxItem]) -> int: ...
