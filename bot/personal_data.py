"""A person's conversations (contacts, webhook and outbox rows) in their data export and
erasure, around the loyalty side (`loyalty.privacy`).

The person's chats are found through their identities: a Zalo OA user id, the Zalo app-scoped
id a contact carries as `user_id_by_app`, a Messenger PSID, and every contact linked to the
member. `erase_person` removes those rows and erases the member in one transaction, so an
erasure is never half done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.models import Contact, InboxEvent, OutboxMessage, SkippedSend
from loyalty import consent
from loyalty.models import Member
from loyalty.privacy.erase import Erasure, erase_member, identities_of
from loyalty.privacy.export import export_member

CHANNEL_OF_KIND = {"zalo_oa": "zalo", "messenger": "messenger"}


async def _contacts(member_ids: list[int], identities: list[tuple[str, str]]) -> list[Contact]:
    query = Q(member_id__in=member_ids)
    for kind, value in identities:
        if kind in CHANNEL_OF_KIND:
            query |= Q(channel=CHANNEL_OF_KIND[kind], user_id=value)
        elif kind == "zalo_app":
            query |= Q(channel="zalo", user_id_by_app=value)
    return await Contact.filter(query).order_by("id")


def _chat_filter(contacts: list[Contact]) -> Q:
    query = Q(id__in=[])
    for c in contacts:
        query |= Q(channel=c.channel, user_id=c.user_id)
    return query


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export_person(member: Member) -> dict[str, Any]:
    """`loyalty.privacy.export_member` plus the person's contacts and messages."""
    data = await export_member(member)
    ids = await consent.family_ids(member.id)
    contacts = await _contacts(ids, await identities_of(member))
    chats = _chat_filter(contacts)
    inbox = await InboxEvent.filter(chats).order_by("id") if contacts else []
    outbox = await OutboxMessage.filter(chats).order_by("id") if contacts else []
    data["contacts"] = [
        {
            "channel": c.channel,
            "user_id": c.user_id,
            "user_id_by_app": c.user_id_by_app,
            "display_name": c.display_name,
            "is_follower": c.is_follower,
            "followed_at": _iso(c.followed_at),
            "last_inbound_at": _iso(c.last_inbound_at),
        }
        for c in contacts
    ]
    data["messages_received"] = [
        {
            "channel": e.channel,
            "event": e.event_name,
            "body": e.body,
            "received_at": _iso(e.received_at),
        }
        for e in inbox
    ]
    data["messages_sent"] = [
        {
            "channel": m.channel,
            "method": m.method,
            "payload": m.payload,
            "status": m.status,
            "created_at": _iso(m.created_at),
        }
        for m in outbox
    ]
    return data


async def erase_person(
    member: Member, *, recorded_by: str = "member", now: datetime | None = None
) -> Erasure:
    """Delete the person's contacts, webhook, outbox and skipped-send rows, then erase the
    member (`loyalty.privacy.erase.erase_member`), all in one transaction."""
    async with in_transaction():
        ids = await consent.family_ids(member.id)
        contacts = await _contacts(ids, await identities_of(member))
        if contacts:
            chats = _chat_filter(contacts)
            await InboxEvent.filter(chats).delete()
            await OutboxMessage.filter(chats).delete()
            await SkippedSend.filter(chats).delete()
            await Contact.filter(id__in=[c.id for c in contacts]).delete()
        return await erase_member(member, recorded_by=recorded_by, now=now)
