"""Sending one stored outbox row, and turning Zalo's answer into the pipeline's outcome.

Before calling Zalo the row is checked against the consultation window the pipeline keeps in
`Contact.last_inbound_at`: Zalo refuses CS messages more than 7 days after the user's last
interaction (-230), so those are skipped with a clear reason instead of being sent. Promotional
messages are held to the free 48-hour part of the window (48 h-7 d replies are billed).

Outcomes: recipient errors → PermanentDeliveryError(unreachable=True) (the outbox marks the
contact); parameter/attachment/rejected → PermanentDeliveryError; everything that may heal
(network, 5xx, rate limit, quota, night, token, setup) → TransientDeliveryError, so the outbox
keeps the message and tries again later.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from bot.backends.base import KeyValue
from bot.channels.zalo import quota
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.exceptions import (
    ZaloAPIError,
    ZaloError,
    ZaloHTTPError,
    ZaloNetworkError,
    ZaloNightError,
    ZaloQuotaError,
    ZaloRecipientError,
    ZaloSetupError,
    ZaloTokenError,
    ZaloTokenUnavailable,
    ZaloTransientError,
)
from bot.channels.zalo.methods.messages import SendMessage
from bot.channels.zalo.methods.zns import SendTemplateByUid, SendZnsTemplate
from bot.channels.zalo.types.results import SentMessage, ZnsResult
from bot.contracts.delivery import PermanentDeliveryError, TransientDeliveryError
from bot.models import Contact, OutboxMessage

log = logging.getLogger("bot.channels.zalo.delivery")

CS_WINDOW = timedelta(days=7)
FREE_WINDOW = timedelta(hours=48)
CHOICES_TTL = 24 * 3600.0
TOKEN_RETRY = 300.0  # a re-grant needs a human: no point hammering
SETUP_RETRY = 600.0
QUOTA_PREFIX = "platform_quota: "  # read by bot.outreach.broadcasts (never retried blindly)
NIGHT_PREFIX = "night: "  # a night block: held until the morning
QUOTA_RETRY = 3600.0  # the outbox looks again hourly; the stop itself ends at the refill


def choices_key(account_id: str, user_id: str) -> str:
    return f"zalo:choices:{account_id}:{user_id}"


async def check_window(row: OutboxMessage) -> None:
    """Raise PermanentDeliveryError when Zalo would refuse (or bill) this message.

    A broadcast's row (`window_checked`) was just decided by the delivery policy on the same
    Contact row: not read again."""
    if getattr(row, "window_checked", False):
        return
    contact = await Contact.get_or_none(
        channel=row.channel, account_id=row.account_id, user_id=row.user_id
    )
    if contact is None or contact.last_inbound_at is None:
        return  # we have never heard from them: Zalo decides (-213/-230 if not allowed)
    age = datetime.now(UTC) - contact.last_inbound_at
    last = contact.last_inbound_at.isoformat(timespec="minutes")
    if age > CS_WINDOW:
        raise PermanentDeliveryError(
            f"outside Zalo's 7-day consultation window (last interaction {last})"
        )
    if row.promotional and age > FREE_WINDOW:
        raise PermanentDeliveryError(
            f"promotional message outside Zalo's free 48-hour window (last interaction {last})"
        )


TEMPLATE_BY_UID = "template/uid"
TEMPLATE_BY_PHONE = "template/phone"


async def deliver_template(client: ZaloClient, kv: KeyValue, row: OutboxMessage) -> str | None:
    """A ZBS template (by UID or by phone): outside the CS window by design, so no window
    check; the platform's quota and night refusals come back as `outcome` says. The quota
    Zalo reports is recorded, and a route whose quota is used up is not called (`quota`)."""
    kind = "promotion" if row.purpose == "promotion" else "update"
    route = ("uid:" if row.method == TEMPLATE_BY_UID else "phone:") + kind
    why = await quota.stopped(kv, row.account_id, route)
    if why is not None:
        raise TransientDeliveryError(QUOTA_PREFIX + why, retry_after=QUOTA_RETRY)
    try:
        if row.method == TEMPLATE_BY_UID:
            by_uid = SendTemplateByUid.model_validate(row.payload)
            sent: SentMessage = await client(by_uid)
            if sent.quota is not None:
                await quota.record(
                    kv,
                    row.account_id,
                    route,
                    remain=sent.quota.remain,
                    quota_type=sent.quota.quota_type,
                )
            return sent.message_id
        by_phone = SendZnsTemplate.model_validate(row.payload)
        zns: ZnsResult = await client(by_phone)
        if zns.quota is not None:
            await quota.record(
                kv, row.account_id, route, remain=zns.quota.remainingQuota, quota_type="daily"
            )
        return zns.msg_id
    except ValidationError as exc:
        raise PermanentDeliveryError(
            f"invalid stored Zalo template: {exc.error_count()} errors"
        ) from None
    except ZaloQuotaError as exc:
        if exc.code in quota.ROUTE_CODES:  # not a per-recipient or per-template refusal
            now = datetime.now(UTC)
            await quota.stop(kv, row.account_id, route, f"Zalo refused: {exc.reason}", now)
        raise outcome(exc, row) from None
    except ZaloError as exc:
        raise outcome(exc, row) from None


async def deliver(client: ZaloClient, kv: KeyValue, row: OutboxMessage) -> str | None:
    if row.method in (TEMPLATE_BY_UID, TEMPLATE_BY_PHONE):
        return await deliver_template(client, kv, row)
    await check_window(row)
    payload = dict(row.payload)
    choices = payload.pop("choices", None)
    try:
        method = SendMessage.model_validate(payload)
    except ValidationError as exc:
        raise PermanentDeliveryError(
            f"invalid stored Zalo message: {exc.error_count()} errors"
        ) from None
    try:
        result = await client(method)
    except ZaloError as exc:
        raise outcome(exc, row) from None
    await remember_choices(kv, row, choices)
    return result.message_id


async def remember_choices(kv: KeyValue, row: OutboxMessage, choices: Any) -> None:
    """A delivered numbered list makes the user's next "1", "2", … mean its buttons."""
    if isinstance(choices, dict) and choices:
        await kv.set(
            choices_key(row.account_id, row.user_id),
            json.dumps(choices, ensure_ascii=False),
            ttl=CHOICES_TTL,
        )


async def deliver_sandbox(kv: KeyValue, row: OutboxMessage) -> str:
    """Sandbox mode: no HTTP, but the same side effects as a real delivery."""
    await remember_choices(kv, row, row.payload.get("choices"))
    return f"sandbox-{row.id}"


def outcome(exc: ZaloError, row: OutboxMessage) -> Exception:
    """The pipeline exception for a Zalo failure."""
    if isinstance(exc, ZaloRecipientError):
        return PermanentDeliveryError(exc.reason, unreachable=True)
    if isinstance(exc, ZaloNightError):  # the prefix tells broadcasts to hold, not retry
        return TransientDeliveryError(NIGHT_PREFIX + exc.reason, retry_after=exc.retry_after)
    if isinstance(exc, ZaloQuotaError):  # recorded as platform_quota by broadcasts
        return TransientDeliveryError(QUOTA_PREFIX + exc.reason, retry_after=exc.retry_after)
    if isinstance(exc, ZaloTransientError):
        return TransientDeliveryError(exc.reason, retry_after=exc.retry_after)
    if isinstance(exc, ZaloNetworkError):
        # Tried again later, not now; the reason says when the first try may have arrived.
        prefix = "may have been delivered: " if exc.maybe_delivered else ""
        return TransientDeliveryError(prefix + exc.reason)
    if isinstance(exc, ZaloTokenError | ZaloTokenUnavailable):
        log.error("zalo outbox %s waits for a usable OA token: %s", row.id, exc)
        return TransientDeliveryError(f"token: {exc}"[:250], retry_after=TOKEN_RETRY)
    if isinstance(exc, ZaloSetupError | ZaloHTTPError):
        log.error("zalo outbox %s: OA/app configuration problem: %s", row.id, exc)
        return TransientDeliveryError(str(exc)[:250], retry_after=SETUP_RETRY)
    if isinstance(exc, ZaloAPIError):
        log.error("zalo outbox %s refused: %s", row.id, exc.reason)
        return PermanentDeliveryError(exc.reason)
    log.error("zalo outbox %s: %s", row.id, exc)
    return PermanentDeliveryError(str(exc)[:250])
