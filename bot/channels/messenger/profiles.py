"""User names from the User Profile API, cached on the Contact row for a day.

Profile access needs an App Review feature many Pages never get, and phone-registered people
have no profile at all (2018218): every refusal means "no name", never an error for the
flow that asked. A refusal is cached like a name, so a Page without access does not call the
API on every message.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.channels.messenger.exceptions import MessengerError
from bot.channels.messenger.methods import GetUserProfile
from bot.contracts.channel import Profile
from bot.models import Contact

if TYPE_CHECKING:
    from bot.channels.messenger.client import GraphClient

log = logging.getLogger("bot.channels.messenger.profiles")

CACHE_FOR = timedelta(days=1)


async def fetch_profile(
    client: GraphClient, account_id: str, psid: str, *, now: datetime | None = None
) -> Profile:
    """The cached name when fresh, else ask Graph; on any refusal, no name."""
    now = now or datetime.now(UTC)
    contact, _ = await Contact.get_or_create(
        channel="messenger", account_id=account_id, user_id=psid
    )
    fetched = contact.profile_fetched_at
    if fetched is not None and now - fetched < CACHE_FOR:
        return Profile(name=contact.display_name)
    try:
        found = await client(GetUserProfile(psid=psid))
    except MessengerError as exc:
        log.info("no Messenger profile for %s: %s", psid, exc)
        if exc.transient:
            # Try again next time; meanwhile a stale name beats none.
            return Profile(name=contact.display_name)
        await Contact.filter(id=contact.id).update(display_name=None, profile_fetched_at=now)
        return Profile()
    name = found.first_name or found.name
    await Contact.filter(id=contact.id).update(
        display_name=name[:128] if name else None, profile_fetched_at=now
    )
    extra = {k: v for k, v in (("full_name", found.name), ("locale", found.locale)) if v}
    return Profile(name=name, extra=extra)
