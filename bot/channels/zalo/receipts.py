"""Echoes and receipts never reach handlers, but they tell us what happened to our messages.

`user_received_message` sets `OutboxMessage.delivered_at`, `user_seen_message` sets
`seen_at` (and `delivered_at` when the receipt was missed), matched on the
`platform_message_id` that delivery stored. Echoes (`oa_send_*`) of our own messages change
nothing; an echo with no outbox row is a staff member writing from the OA inbox, logged.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.channels.zalo.types.events import Echo, Receipt, WebhookEvent
from bot.models import OutboxMessage

log = logging.getLogger("bot.channels.zalo.receipts")


def event_time(event: WebhookEvent) -> datetime:
    if event.timestamp.isdigit():
        return datetime.fromtimestamp(int(event.timestamp) / 1000, UTC)
    return datetime.now(UTC)


async def apply_receipt(event: Receipt | Echo) -> int:
    """Update delivery state; return how many outbox rows changed."""
    if isinstance(event, Echo):
        if event.msg_id and not await OutboxMessage.exists(
            channel="zalo", platform_message_id=event.msg_id
        ):
            who = f"staff {event.sender.admin_id}" if event.sender.admin_id else "another client"
            log.info("zalo: %s sent %s to %s", who, event.event_name, event.user_id)
        return 0
    ids = event.message_ids
    if not ids:
        return 0
    at = event_time(event)
    rows = OutboxMessage.filter(channel="zalo", platform_message_id__in=ids)
    if event.event_name == "user_seen_message":
        changed = await rows.filter(seen_at=None).update(seen_at=at)
        await rows.filter(delivered_at=None).update(delivered_at=at)
        return changed
    return await rows.filter(delivered_at=None).update(delivered_at=at)
