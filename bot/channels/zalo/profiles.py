"""User profiles: `user/detail` (display name, app-scoped id), cached on the Contact row for
a day. Webhooks carry no names, and the OA API is rate-limited, so one call per user per day.

Failures never break a handler: the cached (or empty) profile is returned and the error
logged. In sandbox mode nothing is fetched: the name the sandbox page put in its events
(`sandbox_profile`) was stored when the event was processed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.exceptions import ZaloError
from bot.channels.zalo.methods.users import GetUserDetail
from bot.contracts.channel import Profile
from bot.models import Contact

log = logging.getLogger("bot.channels.zalo.profiles")

PROFILE_TTL = timedelta(days=1)
NAME_MAX = 128


def _cached(contact: Contact | None) -> Profile:
    if contact is None:
        return Profile()
    return Profile(name=contact.display_name, user_id_by_app=contact.user_id_by_app)


async def get_profile(
    client: ZaloClient, account_id: str, user_id: str, *, sandbox: bool
) -> Profile:
    """The cached profile, refreshed from Zalo when older than `PROFILE_TTL` (never in
    sandbox mode, which has no Zalo to ask)."""
    contact = await Contact.get_or_none(channel="zalo", account_id=account_id, user_id=user_id)
    now = datetime.now(UTC)
    fresh = (
        contact is not None
        and contact.profile_fetched_at is not None
        and now - contact.profile_fetched_at < PROFILE_TTL
    )
    if fresh or sandbox:
        return _cached(contact)
    try:
        detail = await client(GetUserDetail(user_id=user_id))
    except ZaloError as exc:
        log.warning("zalo profile of %s unavailable: %s", user_id, exc)
        return _cached(contact)
    name = (detail.display_name or "").strip()[:NAME_MAX] or None
    updates: dict[str, Any] = {"display_name": name, "profile_fetched_at": now}
    if detail.user_is_follower is not None:
        updates["is_follower"] = detail.user_is_follower
    if contact is None:
        contact, _ = await Contact.get_or_create(
            channel="zalo", account_id=account_id, user_id=user_id
        )
    if detail.user_id_by_app and not contact.user_id_by_app:
        updates["user_id_by_app"] = detail.user_id_by_app
    await Contact.filter(id=contact.id).update(**updates)
    extra = {"avatar": detail.avatar, "is_follower": detail.user_is_follower}
    return Profile(
        name=name,
        user_id_by_app=detail.user_id_by_app or contact.user_id_by_app,
        extra={k: v for k, v in extra.items() if v is not None},
    )


async def remember_sandbox_profile(account_id: str, user_id: str, body: dict[str, Any]) -> None:
    """Keep the display name a sandbox event carries (`sandbox_profile: {"name": …}`)."""
    profile = body.get("sandbox_profile")
    name = profile.get("name") if isinstance(profile, dict) else profile
    if not isinstance(name, str) or not name.strip() or not user_id:
        return
    contact, _ = await Contact.get_or_create(
        channel="zalo", account_id=account_id, user_id=user_id
    )
    await Contact.filter(id=contact.id).update(
        display_name=name.strip()[:NAME_MAX], profile_fetched_at=datetime.now(UTC)
    )
