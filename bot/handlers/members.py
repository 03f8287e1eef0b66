"""Who is talking: the Contact row, the cached profile name, and the loyalty member.

One person may reach the shop from the Zalo OA chat, the Mini App and Messenger; each channel
identity points at one member (`loyalty.members`). A member is created from the channel
identity the first time a flow needs one (the card, a game, a phone number), so someone who
never shared a phone still has a card.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.core.events import Event
from bot.models import Contact
from loyalty import members as loyalty_members
from loyalty.config import LoyaltyConfig
from loyalty.errors import MemberNotFound
from loyalty.models import Member, MemberIdentity

if TYPE_CHECKING:
    from bot.contracts.channel import Channel

log = logging.getLogger("bot.handlers.members")

IDENTITY_KIND = {"zalo": "zalo_oa", "messenger": "messenger"}
"""The identity kind of a channel's conversation user id (OA user id, Page-scoped PSID)."""


async def get_contact(event: Event) -> Contact:
    contact, _ = await Contact.get_or_create(
        channel=event.channel, account_id=event.account_id, user_id=event.user_id
    )
    return contact


async def display_name(event: Event, channel: Channel) -> str | None:
    """The profile name (the channels cache it on the Contact); None when there is none.

    A failing profile call never fails the flow that wanted the name: texts then use
    `fallback_name`.
    """
    try:
        profile = await channel.get_profile(event.user_id)
    except Exception:
        log.warning("profile of %s/%s unavailable", event.channel, event.user_id, exc_info=True)
        return None
    return (profile.name or "").strip() or None


def identities(event: Event, contact: Contact | None = None) -> list[tuple[str, str]]:
    """The loyalty identities of the person behind `event`, the conversation id first.

    Zalo adds the app-scoped `user_id_by_app`, the id the Mini App sees for the same person.
    """
    found = [(IDENTITY_KIND[event.channel], event.user_id)]
    by_app = event.user_id_by_app or (contact.user_id_by_app if contact else None)
    if event.channel == "zalo" and by_app:
        found.append(("zalo_app", by_app))
    return found


async def find_member(event: Event) -> Member | None:
    """The member already linked to this person, without creating one."""
    contact = await get_contact(event)
    if contact.member_id is not None:
        try:
            return await loyalty_members.resolve(contact.member_id)
        except MemberNotFound:
            pass
    for kind, value in identities(event, contact):
        member = await loyalty_members.get_by_identity(kind, value)
        if member is not None:
            return member
    return None


async def member_for(
    event: Event, channel: Channel, *, config: LoyaltyConfig | None = None
) -> Member:
    """The member behind `event`, created from the channel identity on first need."""
    member = await find_member(event)
    if member is None:
        kind, value = identities(event)[0]
        name = await display_name(event, channel)
        member = await loyalty_members.get_or_create_by_identity(kind, value, name=name)
    return await attach(event, member, config=config)


async def attach(event: Event, member: Member, *, config: LoyaltyConfig | None = None) -> Member:
    """Link every identity of this person to `member` (merging a member that owned one) and
    remember it on the Contact. Returns the surviving member."""
    contact = await get_contact(event)
    for kind, value in identities(event, contact):
        owned = await MemberIdentity.filter(member_id=member.id, kind=kind, value=value).exists()
        if not owned:
            member = await loyalty_members.link_identity(member, kind, value, config=config)
    if contact.member_id != member.id:
        await Contact.filter(id=contact.id).update(member_id=member.id)
    return member


async def owns_other_identity(member: Member, kind: str, value: str) -> bool:
    """True when `member` already has a different identity of `kind`: someone else's account
    on the same channel (one Zalo user cannot be two)."""
    return (
        await MemberIdentity.filter(member_id=member.id, kind=kind).exclude(value=value).exists()
    )
