"""What enters members into journeys: the ledgers scanned by cursor, and time conditions.

Events are read where they are already written, not hooked into the code that writes them
(like `bot.outreach.notices`): each tick reads the rows added since the last one (orders by
id, phone identities by id, follows by `Contact.followed_at`), so the till, the POS
webhooks, imports and the chat flows all trigger journeys without knowing of them. The first
scan starts at the newest row: history does not enter anyone. An order paid more than a day
before it was recorded (an import of history) is not an `order` event.

Time conditions (`days_since_last_order`, `days_since_follow_without_order`, `birthday`,
`voucher_expiring`, `joined_segment`) are set-based queries, run at most every
`time_scan_seconds`; the re-entry policy (in SQL and again in `enrol`) keeps a member who
matches all day from entering twice. Days are Vietnam calendar days.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.handlers.members import IDENTITY_KIND
from bot.journeys.enrol import blocked_sql, enrol, ts
from bot.journeys.spec import Plan
from bot.models import Contact, OutreachCursor
from bot.outreach.policy import VN
from loyalty import members, rawsql
from loyalty.config import LoyaltyConfig
from loyalty.models import MemberIdentity, Order
from loyalty.tiers import rank

log = logging.getLogger("bot.journeys.triggers")

SCAN_LIMIT = 1000
HISTORY = timedelta(days=1)
EPOCH_OFFSET = 7 * 3600  # Vietnam is UTC+7 all year


def vn_day(moment: datetime) -> int:
    """Vietnam day number (days since 1970-01-01 in Vietnam), as `member_rfm` keeps it."""
    return int((moment.timestamp() + EPOCH_OFFSET) // 86400)


def vn_day_start(day: int) -> datetime:
    return datetime.fromtimestamp(day * 86400 - EPOCH_OFFSET, UTC)


class Triggers:
    def __init__(self, *, time_scan_seconds: float = 300.0) -> None:
        self.time_scan = timedelta(seconds=time_scan_seconds)
        self._last_time_scan: datetime | None = None
        self.ordered: set[int] = set()  # members with a new paid order in the last scan

    async def scan(
        self, plans: Sequence[Plan], loyalty: LoyaltyConfig, now: datetime
    ) -> dict[str, int]:
        """Enter whoever a trigger fired for since the last scan; entries per journey."""
        entered: dict[str, int] = {}
        by_event: dict[str, list[Plan]] = {}
        for plan in plans:
            by_event.setdefault(plan.journey.trigger.kind, []).append(plan)

        async def add(plan: Plan, refs: dict[int, str | None]) -> None:
            if refs:
                n = await enrol(plan, refs, now)
                entered[plan.id] = entered.get(plan.id, 0) + n

        orders = await self._orders(loyalty)
        for event in ("order", "first_order", "tier_up"):
            for plan in by_event.get(event, []):
                await add(plan, orders.get(event, {}))
        self.ordered = set(orders["any"])
        if "phone_shared" in by_event:
            phones = await self._phones()
            for plan in by_event["phone_shared"]:
                await add(plan, phones)
        if "follow" in by_event or "days_since_follow_without_order" in by_event:
            follows = await self._follows()
            for plan in by_event.get("follow", []):
                await add(plan, follows)
        due = self._last_time_scan is None or now - self._last_time_scan >= self.time_scan
        if due:
            self._last_time_scan = now
            for plan in plans:
                sql = self.time_sql(plan, now)
                if sql is None:
                    continue
                text, params = sql
                rows = await rawsql.fetch(text, *params)
                prefix = "voucher:" if plan.journey.trigger.event == "voucher_expiring" else ""
                await add(plan, {int(r["member_id"]): f"{prefix}{r['ref']}" for r in rows})
        return entered

    # --- events, by cursor --------------------------------------------------------------
    async def _orders(self, loyalty: LoyaltyConfig) -> dict[str, dict[int, str | None]]:
        last = await _cursor("orders", _max_order_id)
        rows = await Order.filter(id__gt=last).order_by("id").limit(SCAN_LIMIT)
        out: dict[str, dict[int, str | None]] = {
            "order": {},
            "first_order": {},
            "tier_up": {},
            "any": {},
        }
        first_tier = loyalty.tiers[0].name
        for o in rows:
            member_id = int(o.member_id)  # type: ignore[attr-defined]
            if o.status != "paid":
                continue
            ref = f"order:{o.id}"
            out["any"].setdefault(member_id, ref)
            if o.paid_at < o.created_at - HISTORY:
                continue
            out["order"].setdefault(member_id, ref)
            earlier = await rawsql.fetch(
                "SELECT tier_after FROM pos_order WHERE member_id = ? AND id < ?"
                " AND status = 'paid' ORDER BY id DESC LIMIT 1",
                member_id,
                o.id,
            )
            if not earlier:
                out["first_order"].setdefault(member_id, ref)
            before = str(earlier[0]["tier_after"] or first_tier) if earlier else first_tier
            if o.tier_after and rank(loyalty, o.tier_after) > rank(loyalty, before):
                out["tier_up"][member_id] = f"tier:{o.tier_after}:{o.id}"
        if rows:
            await _save("orders", str(rows[-1].id))
        return out

    async def _phones(self) -> dict[int, str | None]:
        last = await _cursor("phones", _max_phone_id)
        rows = (
            await MemberIdentity.filter(id__gt=last, kind="phone").order_by("id").limit(SCAN_LIMIT)
        )
        if rows:
            await _save("phones", str(rows[-1].id))
        return {int(r.member_id): f"phone:{r.id}" for r in rows}  # type: ignore[attr-defined]

    async def _follows(self) -> dict[int, str | None]:
        """Followers since the last scan, each given a member (created from the chat identity
        when the person has none yet: a journey needs one to hold its vouchers and points)."""
        last = await _time_cursor("follows")
        if last is None:  # the first scan: start after the newest follow
            top = await Contact.filter(followed_at__isnull=False).order_by("-followed_at").first()
            newest = top.followed_at if top is not None else None
            stamp = newest.isoformat() if newest else datetime.min.isoformat() + "+00:00"
            await OutreachCursor.get_or_create(name="journeys:follows", defaults={"value": stamp})
            return {}
        rows = await Contact.filter(followed_at__gt=last).order_by("followed_at").limit(SCAN_LIMIT)
        out: dict[int, str | None] = {}
        for c in rows:
            member_id = c.member_id
            if member_id is None and c.channel in IDENTITY_KIND:
                member = await members.get_or_create_by_identity(
                    IDENTITY_KIND[c.channel], c.user_id, name=c.display_name
                )
                await Contact.filter(id=c.id).update(member_id=member.id)
                member_id = member.id
            if member_id is not None and c.followed_at is not None:
                out[int(member_id)] = f"follow:{c.id}:{c.followed_at.isoformat()}"
        if rows and rows[-1].followed_at is not None:
            await _save("follows", rows[-1].followed_at.isoformat())
        return out

    # --- time conditions, set-based -----------------------------------------------------
    def time_sql(self, plan: Plan, now: datetime) -> tuple[str, list[object]] | None:
        """The members a time condition holds for now (`member_id`, `ref`), already without
        those the re-entry policy keeps out; None for event triggers."""
        trigger = plan.journey.trigger
        today = vn_day(now)
        block, block_params = blocked_sql(plan, now, alias="x.member_id")
        pg = rawsql.is_postgres()
        if trigger.days_since_last_order is not None:
            day = today - trigger.days_since_last_order
            inner = (
                "SELECT r.member_id, CAST(? AS TEXT) AS ref FROM member_rfm r"
                " WHERE r.last_order_day = ?"
                " AND NOT EXISTS (SELECT 1 FROM pos_order o WHERE o.member_id = r.member_id"
                " AND o.status = 'paid' AND o.paid_at >= ?)"
            )
            params: list[object] = [f"last_order_day:{day}", day, ts(vn_day_start(day + 1))]
        elif trigger.days_since_follow_without_order is not None:
            day = today - trigger.days_since_follow_without_order
            inner = (
                "SELECT c.member_id, CAST(? AS TEXT) AS ref FROM contact c WHERE c.is_follower"
                " AND c.member_id IS NOT NULL AND c.followed_at >= ? AND c.followed_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM pos_order o WHERE o.member_id = c.member_id"
                " AND o.status = 'paid')"
            )
            params = [f"follow_day:{day}", ts(vn_day_start(day)), ts(vn_day_start(day + 1))]
        elif trigger.event == "birthday":
            target = (now.astimezone(VN) + timedelta(days=trigger.days_before or 0)).date()
            md = "to_char(m.birthday, 'MM-DD')" if pg else "strftime('%m-%d', m.birthday)"
            inner = (
                "SELECT m.id AS member_id, CAST(? AS TEXT) AS ref FROM member m"
                f" WHERE m.birthday IS NOT NULL"
                f" AND {md} = ?"
            )
            params = [f"birthday:{target.isoformat()}", target.strftime("%m-%d")]
        elif trigger.event == "voucher_expiring":
            days = 3 if trigger.days_before is None else trigger.days_before
            inner = (
                "SELECT v.member_id, MIN(v.id) AS ref FROM voucher v WHERE v.redeemed_at IS NULL"
                " AND v.expires_at > ? AND v.expires_at <= ? GROUP BY v.member_id"
            )
            params = [ts(now), ts(now + timedelta(days=days))]
        elif trigger.event == "joined_segment":
            inner = (
                "SELECT s.member_id, CAST(? AS TEXT) AS ref FROM segment_member s"
                " WHERE s.segment_id = ?"
            )
            params = [f"segment:{trigger.segment}", trigger.segment]
        else:
            return None
        return (
            f"SELECT x.member_id, x.ref FROM ({inner}) x WHERE {block} LIMIT 100000",
            [*params, *block_params],
        )


async def _max_order_id() -> int:
    row = await Order.all().order_by("-id").first()
    return int(row.id) if row is not None else 0


async def _max_phone_id() -> int:
    row = await MemberIdentity.filter(kind="phone").order_by("-id").first()
    return int(row.id) if row is not None else 0


async def _cursor(name: str, start: object) -> int:
    key = f"journeys:{name}"
    row = await OutreachCursor.get_or_none(name=key)
    if row is not None:
        return int(row.value)
    value = await start()  # type: ignore[operator]
    await OutreachCursor.get_or_create(name=key, defaults={"value": str(value)})
    return int(value)


async def _time_cursor(name: str) -> datetime | None:
    row = await OutreachCursor.get_or_none(name=f"journeys:{name}")
    return datetime.fromisoformat(row.value) if row is not None else None


async def _save(name: str, value: str) -> None:
    await OutreachCursor.filter(name=f"journeys:{name}").update(value=value)
