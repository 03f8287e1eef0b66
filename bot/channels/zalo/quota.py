"""The ZBS template quota Zalo reports, read from every template answer, and a stop when it
says none remain.

What Zalo reports (reference outreach.md §2, zalo.md §5): the UID route answers
`quota {quota_type: purchase_quota | reward_quota, remain}`, the phone route
`quota {dailyQuota, remainingQuota}`. Our reading, the safest we could make of it:
- the figure is per kind of send: route (by UID, by phone) × purpose (promotion, or a
  transactional/care update), not per template; we cannot choose which quota type a UID
  send draws on, so the **latest** answer for a kind speaks for the kind;
- `remain` (or `remainingQuota`) 0 means the next send on that route would be refused, so
  later sends on it are answered here as a quota refusal (`platform_quota`) without calling
  Zalo, until the earliest moment it can have refilled: the next 00:00 Vietnam time (the
  quotas are daily; if one was monthly, the first send after that is refused with −1441,
  and that refusal stops the route again the same way);
- a route-wide quota refusal from Zalo itself (−144, −1441, −211, −115) stops the route the
  same way (not −218 or −147: one recipient's or one template's).
The state lives in the key-value store (Redis when configured), so every worker sees it;
the last figures read are kept under `…:seen` for operators (`redis-cli get`).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.backends.base import KeyValue

log = logging.getLogger("bot.channels.zalo.quota")

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SEEN_TTL = 7 * 24 * 3600.0
# Refusals that speak for the whole route: OA daily (-144), monthly (-1441), quota or
# balance (-211, -115). Not -218 (one recipient's), -147 (one template's), -1471.
ROUTE_CODES = frozenset({-144, -1441, -211, -115})


def key(account_id: str, route: str) -> str:
    """`route` is a kind of send, e.g. `uid:promotion` or `phone:update`."""
    return f"zalo:quota:{account_id}:{route}"


def next_refill(now: datetime) -> datetime:
    """The next 00:00 Vietnam time after `now` (a minute past, for clock skew)."""
    local = now.astimezone(VN)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=1, second=0, microsecond=0)
    return midnight.astimezone(UTC)


async def stopped(kv: KeyValue, account_id: str, route: str) -> str | None:
    """Why this route may not be called now (the quota is used up), or None."""
    return await kv.get(key(account_id, route))


async def record(
    kv: KeyValue,
    account_id: str,
    route: str,
    *,
    remain: int | None,
    quota_type: str | None,
    now: datetime | None = None,
) -> None:
    """Keep the figures Zalo reported; stop the route when none remain."""
    if remain is None:
        return
    now = now or datetime.now(UTC)
    seen = {"quota_type": quota_type, "remain": remain, "at": now.isoformat()}
    await kv.set(key(account_id, route) + ":seen", json.dumps(seen), ttl=SEEN_TTL)
    if remain <= 0:
        await stop(kv, account_id, route, f"Zalo reported {quota_type or 'quota'} remain 0", now)


async def stop(kv: KeyValue, account_id: str, route: str, why: str, now: datetime) -> None:
    until = next_refill(now)
    reason = f"{why}; no {route} template sends until {until.isoformat(timespec='minutes')}"
    await kv.set(key(account_id, route), reason, ttl=(until - now).total_seconds())
    log.warning("zalo %s: %s", account_id, reason)
