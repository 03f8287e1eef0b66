"""The consent ledger: what a person agreed to (or withdrew), when, where, and the text shown.

Purposes (`CONSENT_PURPOSES`):

- `membership_phone`: the phone number, kept for the membership card (finding the member at
  the till, points for POS orders). Recorded when the phone is shared (chat or Mini App).
- `marketing`: promotional messages. **Never assumed**: silence, following the OA or
  sharing a phone is not consent (Law 91/2025 and Decree 356/2025 read safest: "no default
  consent"). Only an explicit act grants it: the Mini App toggle (`PUT /api/v1/me/consents`),
  the `nhận tin` chat word, or staff recording a written form at the counter.

Every decision is a new row (`ConsentRecord`, append-only, the database refuses updates);
the current state of a purpose is its newest row. `Member.marketing_opt_in` is a copy of the
newest `marketing` row, written in the same transaction, so audience queries read one column.
Merged members keep their rows; the state of a survivor is the newest row across the members
merged into it (`family_ids`), refreshed by `refresh_after_merge`.

The recorded `text` never holds the person's own data: callers pass the text rendered with
the shop's name only (consent texts may not use `{name}`), so the ledger survives an erasure
untouched.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from loyalty.clock import utcnow
from loyalty.errors import InvalidInput
from loyalty.models import CONSENT_PURPOSES, ConsentRecord, Member, MemberIdentity
from loyalty.txn import lock_member

CHANNELS = ("zalo", "messenger", "miniapp", "counter", "import", "api")
METHODS = ("phone_share", "miniapp_toggle", "chat_word", "counter_form", "erasure", "import")
_MAX_TEXT = 4000


class InvalidConsent(InvalidInput):
    code = "invalid_consent"


@dataclass(frozen=True, slots=True)
class ConsentState:
    """The current decision for one purpose (`granted` False and `at` None: never asked)."""

    purpose: str
    granted: bool
    at: datetime | None
    channel: str | None
    method: str | None
    text_version: str | None


def text_version(text: str) -> str:
    """A short, stable fingerprint of a consent text: the client echoes it back, so a grant
    is only recorded for the exact text the person saw."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _check(purpose: str, channel: str, method: str, text: str) -> None:
    if purpose not in CONSENT_PURPOSES:
        raise InvalidConsent(f"purpose must be one of {', '.join(CONSENT_PURPOSES)}")
    if channel not in CHANNELS:
        raise InvalidConsent(f"channel must be one of {', '.join(CHANNELS)}")
    if method not in METHODS:
        raise InvalidConsent(f"method must be one of {', '.join(METHODS)}")
    if not text.strip() or len(text) > _MAX_TEXT:
        raise InvalidConsent(f"the consent text must be 1..{_MAX_TEXT} characters")


async def _write(
    member: Member,
    purpose: str,
    granted: bool,
    *,
    channel: str,
    method: str,
    text: str,
    recorded_by: str,
    now: datetime | None,
) -> ConsentRecord:
    _check(purpose, channel, method, text)
    async with in_transaction():
        me = await lock_member(member.id)
        row = await ConsentRecord.create(
            member_id=me.id,
            purpose=purpose,
            granted=granted,
            channel=channel,
            method=method,
            text=text,
            text_version=text_version(text),
            recorded_by=recorded_by[:64],
            created_at=now or utcnow(),
        )
        if purpose == "marketing" and me.marketing_opt_in != granted:
            await Member.filter(id=me.id).update(marketing_opt_in=granted)
        member.marketing_opt_in = granted if purpose == "marketing" else me.marketing_opt_in
        return row


async def record_consent(
    member: Member,
    purpose: str,
    *,
    channel: str,
    method: str,
    text: str,
    recorded_by: str = "member",
    now: datetime | None = None,
) -> ConsentRecord:
    """Record a grant of `purpose` with the text that was shown (e.g. `nhận tin` in chat:
    `record_consent(m, "marketing", channel="zalo", method="chat_word", text=...)`)."""
    return await _write(
        member,
        purpose,
        True,
        channel=channel,
        method=method,
        text=text,
        recorded_by=recorded_by,
        now=now,
    )


async def withdraw(
    member: Member,
    purpose: str,
    *,
    channel: str,
    method: str,
    text: str,
    recorded_by: str = "member",
    now: datetime | None = None,
) -> ConsentRecord:
    """Record a withdrawal of `purpose` (e.g. the `dừng` chat word: `text` = the word the
    person typed or the confirmation shown). Takes effect at once: `marketing_opt_in` is
    False when this returns."""
    return await _write(
        member,
        purpose,
        False,
        channel=channel,
        method=method,
        text=text,
        recorded_by=recorded_by,
        now=now,
    )


async def family_ids(member_id: int) -> list[int]:
    """`member_id` and every member merged into it, at any depth."""
    ids, frontier = [member_id], [member_id]
    while frontier:
        found: list[int] = await Member.filter(merged_into_id__in=frontier).values_list(  # type: ignore[assignment]
            "id", flat=True
        )
        frontier = [int(i) for i in found if i not in ids]
        ids.extend(frontier)
    return ids


async def history(member: Member) -> list[ConsentRecord]:
    """Every consent row of the person (merged members included), oldest first."""
    ids = await family_ids(member.id)
    return await ConsentRecord.filter(member_id__in=ids).order_by("created_at", "id")


async def current(member: Member) -> dict[str, ConsentState]:
    """The current state of every purpose."""
    latest: dict[str, ConsentRecord] = {}
    for row in await history(member):
        latest[row.purpose] = row
    out = {}
    for purpose in CONSENT_PURPOSES:
        last = latest.get(purpose)
        out[purpose] = ConsentState(
            purpose=purpose,
            granted=bool(last and last.granted),
            at=last.created_at if last else None,
            channel=last.channel if last else None,
            method=last.method if last else None,
            text_version=last.text_version if last else None,
        )
    return out


async def refresh_after_merge(survivor_id: int) -> None:
    """After a merge, the survivor's `marketing_opt_in` is the newest marketing decision of
    the merged family (a withdrawal in one chat is not undone by an older grant elsewhere).
    Call inside the merge's transaction."""
    ids = await family_ids(survivor_id)
    row = (
        await ConsentRecord.filter(member_id__in=ids, purpose="marketing")
        .order_by("-created_at", "-id")
        .first()
    )
    await Member.filter(id=survivor_id).update(marketing_opt_in=bool(row and row.granted))


async def withdraw_phone(
    member: Member,
    *,
    channel: str,
    method: str,
    text: str,
    recorded_by: str = "member",
    now: datetime | None = None,
) -> ConsentRecord:
    """Withdraw `membership_phone`: the withdrawal row, and the phone leaves the member (its
    `phone` identity too) in the same transaction. Points and vouchers stay; staff find the
    member by code or QR from now on."""
    async with in_transaction():
        me = await lock_member(member.id)
        row = await withdraw(
            me,
            "membership_phone",
            channel=channel,
            method=method,
            text=text,
            recorded_by=recorded_by,
            now=now,
        )
        await MemberIdentity.filter(member_id=me.id, kind="phone").delete()
        await Member.filter(id=me.id).update(phone=None)
        member.phone = None
        return row
