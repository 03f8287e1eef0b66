"""Conversation-side tables: the durable webhook inbox, the outbox, platform tokens, contacts.

Money-like state lives in `loyalty.models`; nothing here moves points, vouchers or stock.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class InboxEvent(Model):
    """One platform event, stored before the webhook answers 200.

    The unique `(channel, dedupe_key)` row is both the dedupe of platform retries and the
    durable copy of the event; a worker job processes it exactly once, in order per user.
    """

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    account_id = fields.CharField(max_length=64)
    user_id = fields.CharField(max_length=64)
    dedupe_key = fields.CharField(max_length=191)
    event_name = fields.CharField(max_length=64)
    body: dict[str, Any] = fields.JSONField()
    status = fields.CharField(max_length=16, default="pending", db_index=True)
    attempts = fields.IntField(default=0)
    error = fields.TextField(null=True)
    # A failed event is tried again from then on (backoff); it stays first in its user's line.
    next_attempt_at = fields.DatetimeField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inbox_event"
        unique_together = (("channel", "dedupe_key"),)
        indexes = (("channel", "user_id", "status"),)


class OutboxMessage(Model):
    """A rendered platform request waiting to be sent, never lost while a platform is down."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    account_id = fields.CharField(max_length=64)
    user_id = fields.CharField(max_length=64)
    dedupe_key = fields.CharField(max_length=191, null=True, unique=True)
    method = fields.CharField(max_length=64)
    payload: dict[str, Any] = fields.JSONField()
    promotional = fields.BooleanField(default=False)
    # reply | update | promotion (`bot.contracts.outbound.Purpose`): what the delivery rules
    # (`bot.outreach.policy`) and the channels' window checks go by.
    purpose = fields.CharField(max_length=16, default="reply")
    status = fields.CharField(max_length=16, default="pending", db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    platform_message_id = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)  # from platform receipts / echoes
    seen_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        # The sender's "this user's oldest pending message": without the user's index, each
        # send scanned every pending row (a post-burst pile-up of thousands stalled sends).
        indexes = (
            ("status", "next_attempt_at"),
            ("channel", "platform_message_id"),
            ("channel", "account_id", "user_id", "status"),
        )


class PlatformToken(Model):
    """The rotating OA token pair. Env values only seed it, and after a refresh this row wins."""

    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    account_id = fields.CharField(max_length=64)
    access_token = fields.TextField()
    refresh_token = fields.TextField()
    previous_refresh_token = fields.TextField(null=True)
    expires_at = fields.DatetimeField()
    version = fields.IntField(default=1)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "platform_token"
        unique_together = (("channel", "account_id"),)


class Contact(Model):
    """A person as one channel sees them: window, reachability and cached profile."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    account_id = fields.CharField(max_length=64)
    user_id = fields.CharField(max_length=64)
    user_id_by_app = fields.CharField(max_length=64, null=True)
    display_name = fields.CharField(max_length=128, null=True)
    profile_fetched_at = fields.DatetimeField(null=True)
    last_inbound_at = fields.DatetimeField(null=True)
    is_follower = fields.BooleanField(default=False)
    followed_at = fields.DatetimeField(null=True)
    greeted_at = fields.DatetimeField(null=True)
    reachable = fields.BooleanField(default=True)
    unreachable_reason = fields.CharField(max_length=255, null=True)
    member_id = fields.BigIntField(null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "contact"
        unique_together = (("channel", "account_id", "user_id"),)


class SkippedSend(Model):
    """Why a message was not sent (outside the window, unreachable, refused): for humans."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    user_id = fields.CharField(max_length=64)
    reason = fields.CharField(max_length=255)
    outbox_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "skipped_send"


class Broadcast(Model):
    """A message to a segment, sent now or at `send_at` (`bot.outreach.broadcasts`).

    status: scheduled (waits for `send_at`), waiting (held by quiet hours), sending, done,
    cancelled. `audience` is frozen (one `BroadcastRecipient` per member) when sending starts.
    """

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)
    segment = fields.CharField(max_length=64)
    purpose = fields.CharField(max_length=16)
    message: dict[str, Any] = fields.JSONField()
    status = fields.CharField(max_length=16, default="scheduled", db_index=True)
    send_at = fields.DatetimeField(null=True)
    idempotency_key = fields.CharField(max_length=191, null=True, unique=True)
    audience = fields.IntField(null=True)
    frozen_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "broadcast"


class BroadcastRecipient(Model):
    """One member of a broadcast's frozen audience: claimed before the send, exactly once.

    status: pending → claimed (a worker took it) → sending (the platform call is under way)
    → sent | failed | skipped. `reason` says why (a policy reason or the platform's).
    """

    id = fields.BigIntField(primary_key=True)
    broadcast_id = fields.BigIntField()
    member_id = fields.BigIntField()
    status = fields.CharField(max_length=16, default="pending")
    reason = fields.CharField(max_length=255, null=True)
    channel = fields.CharField(max_length=16, null=True)
    purpose = fields.CharField(max_length=16, default="promotion")
    claimed_by = fields.CharField(max_length=64, null=True)
    claimed_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    platform_message_id = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "broadcast_recipient"
        unique_together = (("broadcast_id", "member_id"),)
        # claims walk a broadcast's pending rows; the weekly cap counts a member's sends
        indexes = (("broadcast_id", "status"), ("member_id", "purpose", "sent_at"))


class OutreachCursor(Model):
    """How far the notice scanner has read a ledger (last id, or last time as ISO text)."""

    name = fields.CharField(max_length=64, primary_key=True)
    value = fields.CharField(max_length=64)

    class Meta:
        table = "outreach_cursor"


class ConsoleUser(Model):
    """A person who signs in to the web console (`/admin`): owner, manager or staff.

    Created and reset by `python -m bot admin add-user`; the password is an argon2 hash."""

    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    role = fields.CharField(max_length=16)
    password_hash = fields.CharField(max_length=255)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "console_user"


class ConsoleSession(Model):
    """One signed-in browser: the cookie holds a random token, only its SHA-256 is kept."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user_id = fields.BigIntField(db_index=True)
    csrf_token = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "console_session"


class ContentVersion(Model):
    """A saved state of the content file (console editor): history, diff and rollback."""

    id = fields.BigIntField(primary_key=True)
    sha256 = fields.CharField(max_length=64)
    text = fields.TextField()
    saved_by = fields.CharField(max_length=254, default="")
    note = fields.CharField(max_length=32, default="save")
    saved_at = fields.DatetimeField()

    class Meta:
        table = "content_version"


# The journey tables live with their engine; re-exported so Tortoise registers them here.
from bot.journeys.models import JourneyEnrolment as JourneyEnrolment  # noqa: E402
from bot.journeys.models import JourneyStepRun as JourneyStepRun  # noqa: E402
