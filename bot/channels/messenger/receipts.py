"""Delivery receipts, read receipts and echoes: they update the outbox, never reach handlers.

- `delivery.mids` mark those messages delivered; `delivery.watermark` (and `read.watermark`)
  cover every message sent to the person up to that time (Meta may omit `mids`).
- An echo of our own send carries `metadata = "outbox:<id>"`: if the send's HTTP answer was
  lost (timeout after Graph accepted it), the echo records the message id so the retry does
  not send it a second time.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.channels.messenger.types import MessagingItem
from bot.models import OutboxMessage

log = logging.getLogger("bot.channels.messenger.receipts")

CHANNEL = "messenger"
METADATA_PREFIX = "outbox:"


def _from_ms(ms: int) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, UTC) if ms > 0 else None


async def apply_receipt(item: MessagingItem, account_id: str) -> int:
    """Update delivery state from one receipt or echo; returns how many rows changed."""
    psid = item.user_id or ""
    now = datetime.now(UTC)
    mine = OutboxMessage.filter(channel=CHANNEL, account_id=account_id, user_id=psid)
    changed = 0
    if item.delivery is not None:
        if item.delivery.mids:
            changed += await mine.filter(
                platform_message_id__in=item.delivery.mids, delivered_at__isnull=True
            ).update(delivered_at=now)
        until = _from_ms(item.delivery.watermark)
        if until is not None:
            changed += await mine.filter(
                status="sent", sent_at__lte=until, delivered_at__isnull=True
            ).update(delivered_at=now)
    elif item.read is not None:
        until = _from_ms(item.read.watermark)
        if until is not None:
            base = mine.filter(status="sent", sent_at__lte=until)
            await base.filter(delivered_at__isnull=True).update(delivered_at=now)
            changed += await base.filter(seen_at__isnull=True).update(seen_at=now)
    elif item.message is not None and item.message.is_echo:
        changed += await _apply_echo(item, account_id)
    return changed


async def _apply_echo(item: MessagingItem, account_id: str) -> int:
    message = item.message
    assert message is not None
    metadata = message.metadata or ""
    if not metadata.startswith(METADATA_PREFIX) or not message.mid:
        # A human answering from the Page inbox, or another app: nothing of ours to update.
        log.debug("echo %s not from our outbox", message.mid)
        return 0
    try:
        row_id = int(metadata[len(METADATA_PREFIX) :])
    except ValueError:
        return 0
    return await OutboxMessage.filter(
        id=row_id, channel=CHANNEL, account_id=account_id, platform_message_id__isnull=True
    ).update(platform_message_id=message.mid)
