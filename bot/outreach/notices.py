"""Transactional notices (`update`): points earned from an order, tier changed, voucher
issued, voucher expiring in 3 days, through the same delivery policy as broadcasts.

The loyalty ledgers are read, not hooked: each scheduler tick scans the rows written since
the last scan (`OutreachCursor`: points entries of orders, vouchers not issued in chat, members
whose tier changed), so the till, the POS webhooks, imports and the daily tier job all notify
without any of them knowing about chat, and the webhook path does no extra work. The first
scan starts at the newest row (history is not announced). Each notice is stored in the
outbox with a dedupe key of its ledger row, so a re-scan after a crash sends nothing twice.
A notice no channel may carry now is recorded in `skipped_send` with the policy's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.content.schema import Content
from bot.core.messages import Text
from bot.models import OutreachCursor, SkippedSend
from bot.outreach.broadcasts import load_asks
from bot.outreach.policy import Decision, decide, rules_from
from bot.outreach.templates import template_request
from bot.pipeline.outbox import Outbox
from games.config import VoucherSpec
from loyalty.models import Member, PointsEntry, Voucher

log = logging.getLogger("bot.outreach.notices")

EXPIRING_DAYS = 3
# vouchers already announced by whoever issued them (the chat flows, a broadcast)
# Vouchers whose code a message already showed: no separate "you have a voucher" notice.
# (A journey's silent `voucher` step issues under `journey:` and keeps its notice.)
CHAT_SOURCES = ("play:", "phone_capture:", "broadcast:", "journey-send:")
SCAN_LIMIT = 1000


class Notices:
    def __init__(
        self,
        *,
        outbox: Outbox,
        content: Callable[[], Content],
        clock: Callable[[], datetime],
        channel_order: Sequence[str] = ("zalo", "messenger"),
    ) -> None:
        self.outbox = outbox
        self.content = content
        self.clock = clock
        self.channel_order = tuple(channel_order)

    async def notify(
        self, member_id: int, kind: str, text: str, ref: str, **variables: Any
    ) -> Decision:
        """Decide and queue one notice; `ref` (the ledger row) makes it once only;
        `variables` fill the `zns:` template's parameters when it goes as a ZBS template."""
        content = self.content()
        now = self.clock()
        asks = await load_asks([member_id], "update", kind, content, now)
        if member_id not in asks:
            return Decision(reason="no_channel", detail="no such member")
        member, ask = asks[member_id]
        d = decide(ask, rules_from(content.outreach, self.channel_order), now)
        template = template_request(content, kind, member, d, tracking=ref, **variables)
        if template is not None and d.channel:
            method, payload = template
            await self.outbox.queue_request(
                d.channel,
                d.user_id or f"member:{member_id}",
                method,
                payload,
                dedupe_key=f"notice:{ref}:0",
                purpose="update",
            )
            return d
        if d.route in ("zalo_cs", "messenger") and d.channel and d.user_id:
            await self.outbox.queue_messages(
                d.channel,
                d.user_id,
                [Text(text=text)],
                dedupe_prefix=f"notice:{ref}",
                purpose="update",
            )
            return d
        reason = d.reason or f"{d.route} is not wired to notices yet"
        await SkippedSend.create(
            channel=d.channel or "-",
            user_id=f"member:{member_id}",
            reason=f"notice {kind} ({ref}): {reason}"[:255],
        )
        return d

    # --- scanning the ledgers -----------------------------------------------------------
    async def scan(self, now: datetime | None = None) -> int:
        """Notices for what the ledgers got since the last scan (the scheduler's tick)."""
        return await self._points() + await self._vouchers() + await self._tiers()

    async def _points(self) -> int:
        content = self.content()
        last = await _cursor("points", lambda: _max_id(PointsEntry))
        rows = (
            await PointsEntry.filter(id__gt=last, kind="earn", ref__startswith="order:")
            .order_by("id")
            .limit(SCAN_LIMIT)
        )
        for row in rows:
            text = content.render(
                content.outreach.notice_points_earned,
                points=row.amount,
                balance=row.balance_after,
            )
            await self.notify(
                row.member_id,  # type: ignore[attr-defined]
                "points_earned",
                text,
                f"points:{row.id}",
                points=row.amount,
                balance=row.balance_after,
            )
        if rows:
            await _save("points", str(rows[-1].id))
        return len(rows)

    async def _vouchers(self) -> int:
        content = self.content()
        last = await _cursor("vouchers", lambda: _max_id(Voucher))
        rows = await Voucher.filter(id__gt=last).order_by("id").limit(SCAN_LIMIT)
        sent = 0
        for v in rows:
            if (v.source_ref or "").startswith(CHAT_SOURCES):
                continue
            text = voucher_text(content, content.outreach.notice_voucher_issued, v)
            await self.notify(
                v.member_id,  # type: ignore[attr-defined]
                "voucher_issued",
                text,
                f"voucher:{v.id}",
                **voucher_vars(content, v),
            )
            sent += 1
        if rows:
            await _save("vouchers", str(rows[-1].id))
        return sent

    async def _tiers(self) -> int:
        content = self.content()
        now = self.clock()
        since = await _cursor_time("tiers", now)
        rows = (
            await Member.filter(tier_updated_at__gt=since, erased_at=None, merged_into_id=None)
            .order_by("tier_updated_at")
            .limit(SCAN_LIMIT)
        )
        for m in rows:
            if not m.tier or m.tier_updated_at is None:
                continue
            text = content.render(content.outreach.notice_tier_changed, tier=m.tier)
            stamp = m.tier_updated_at.isoformat()
            await self.notify(
                m.id, "tier_changed", text, f"tier:{m.id}:{m.tier}:{stamp}", tier=m.tier
            )
        if rows and rows[-1].tier_updated_at is not None:
            await _save("tiers", rows[-1].tier_updated_at.isoformat())
        return len(rows)

    async def expiring(self) -> int:
        """The daily job: a reminder for each unused voucher that expires within 3 days.

        A journey triggered by `voucher_expiring` takes its place (the shop wrote its own
        reminder, as the demo content does): this one then stays silent, so nobody gets two.
        """
        content = self.content()
        if any(j.trigger.event == "voucher_expiring" for j in content.journeys):
            return 0
        now = self.clock()
        rows = await Voucher.filter(
            redeemed_at=None,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=EXPIRING_DAYS),
        ).order_by("id")
        for v in rows:
            text = voucher_text(content, content.outreach.notice_voucher_expiring, v)
            await self.notify(
                v.member_id,  # type: ignore[attr-defined]
                "voucher_expiring",
                text,
                f"expiring:{v.id}",
                **voucher_vars(content, v),
            )
        return len(rows)


def voucher_vars(content: Content, v: Voucher) -> dict[str, str]:
    kind = "percent" if v.kind == "percent" else "amount"
    spec = VoucherSpec(value=v.value, valid_days=1, kind=kind)
    return {
        "voucher_code": v.code,
        "voucher_value": content.voucher_value(spec),
        "expires_at": content.format_date(v.expires_at),
    }


def voucher_text(content: Content, template: str, v: Voucher) -> str:
    return content.render(template, **voucher_vars(content, v))


async def _max_id(model: type[PointsEntry] | type[Voucher]) -> int:
    row = await model.all().order_by("-id").first()
    return int(row.id) if row is not None else 0


async def _cursor(name: str, start: Callable[[], Awaitable[int]]) -> int:
    row = await OutreachCursor.get_or_none(name=name)
    if row is not None:
        return int(row.value)
    value = await start()
    await OutreachCursor.get_or_create(name=name, defaults={"value": str(value)})
    return value


async def _cursor_time(name: str, now: datetime) -> datetime:
    row = await OutreachCursor.get_or_none(name=name)
    if row is None:
        await OutreachCursor.get_or_create(name=name, defaults={"value": now.isoformat()})
        return now
    return datetime.fromisoformat(row.value)


async def _save(name: str, value: str) -> None:
    await OutreachCursor.filter(name=name).update(value=value)
