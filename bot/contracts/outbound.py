"""The outbound contract: one platform request rendered from neutral messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Purpose = Literal["reply", "update", "promotion"]
"""Why a message is sent: an answer to what the person just did, a transactional notice,
or a promotion. The platforms' rules (windows, quotas, quiet hours) depend on it."""


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """One platform API call, stored in the outbox and delivered later."""

    method: str  # e.g. "message/cs", "me/messages"
    payload: dict[str, Any]
    promotional: bool = False
