"""The person's last inbound action: where the platforms' send windows start."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.models import Contact


async def touch_contact(
    channel: str, account_id: str, user_id: str, *, user_id_by_app: str | None = None
) -> Contact:
    """Record an interaction now (the inbox does it for every event that counts as one; a
    channel does it for actions it keeps from the handlers, such as Messenger standby)."""
    now = datetime.now(UTC)
    contact, _ = await Contact.get_or_create(
        channel=channel, account_id=account_id, user_id=user_id
    )
    updates: dict[str, Any] = {"last_inbound_at": now}
    if user_id_by_app and not contact.user_id_by_app:
        updates["user_id_by_app"] = user_id_by_app
    await Contact.filter(id=contact.id).update(**updates)
    for key, value in updates.items():
        setattr(contact, key, value)
    return contact
