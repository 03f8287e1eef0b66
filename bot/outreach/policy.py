"""The delivery policy: per member, message and moment, which channel may carry it and how.

Pure: the caller loads what it needs (the member's consent, channel contacts with their last
interaction, promotions already sent this week) and gets a `Decision`, either a route or a
skip reason. The same rules serve broadcasts, notices and (later) journeys, so a member is
never treated differently depending on who asks.

Rules (shared/reference/zalo.md §2.4, §5, messenger.md §2, §4, outreach.md §2-3):
- Zalo consultation (CS) messages only within 7 days of the last interaction; 0-48 h is
  free, 48 h-7 d billed, so a promotion goes by CS only inside the free 48 h and only when
  `zalo_promotions_in_cs_window` is on (unsure, off by default). Outside, `update` and
  `promotion` go by a ZBS template mapped in `zns:` (by UID when the template allows it,
  else by phone). The shut-down UID transaction/promotion routes are never used.
- Messenger: anything within 24 h of the last action; after that only `update` notices as a
  utility template the Page has, never a promotion (message tags are not used).
- Promotions: never to a member who opted out, never during quiet hours (held, not
  dropped), at most `max_promotions_per_week` per member.
- A member with several identities gets one message, on the first channel of
  `channel_order` allowed now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.content.outreach import Outreach
from bot.contracts.outbound import Purpose

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ZALO_CS_WINDOW = timedelta(days=7)
ZALO_FREE_WINDOW = timedelta(hours=48)
MESSENGER_WINDOW = timedelta(hours=24)

Route = Literal["zalo_cs", "zalo_zbs_uid", "zalo_zbs_phone", "messenger", "messenger_utility"]
Reason = Literal[
    "opted_out", "no_channel", "weekly_cap", "quiet_hours", "platform_quota", "unreachable"
]
REASONS: tuple[str, ...] = (
    "opted_out",
    "no_channel",
    "weekly_cap",
    "quiet_hours",
    "platform_quota",
    "unreachable",
    "failed",
    "cancelled",
)
"""Every skip reason a broadcast may report (the policy's, then the send's)."""


@dataclass(frozen=True, slots=True)
class ContactView:
    """One channel identity of the member, as the inbox last saw it."""

    channel: str  # zalo | messenger
    user_id: str
    last_inbound_at: datetime | None
    reachable: bool = True


@dataclass(frozen=True, slots=True)
class Template:
    """A template the platform has approved for this message (ZBS on Zalo, utility on
    Messenger); None in `Ask` when there is none."""

    by_uid: bool = False


@dataclass(frozen=True, slots=True)
class Rules:
    """The shop's policy (`outreach:` in the content file) and the channel order setting."""

    quiet_hours: tuple[time, time] | None = (time(21, 0), time(8, 0))
    max_promotions_per_week: int = 2
    zalo_promotions_in_cs_window: bool = False
    channel_order: tuple[str, ...] = ("zalo", "messenger")


@dataclass(frozen=True, slots=True)
class Ask:
    """What is to be sent to whom: the member's state that the rules look at."""

    purpose: Purpose
    contacts: Sequence[ContactView]
    opted_in: bool = False  # Member.marketing_opt_in
    promotions_this_week: int = 0
    has_phone: bool = False
    zalo_template: Template | None = None
    messenger_template: Template | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """A route (channel + how) or a skip reason; `detail` is for humans."""

    route: Route | None = None
    channel: str | None = None
    user_id: str | None = None
    reason: Reason | None = None
    detail: str = ""
    hold_until: datetime | None = None  # quiet hours: when the message may go

    @property
    def allowed(self) -> bool:
        return self.route is not None


def in_quiet_hours(rules: Rules, now: datetime) -> datetime | None:
    """When the quiet hours around `now` end (UTC-aware), or None outside them."""
    if rules.quiet_hours is None:
        return None
    start, end = rules.quiet_hours
    local = now.astimezone(VN)
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(now.tzinfo)


def decide(ask: Ask, rules: Rules, now: datetime) -> Decision:
    """The one place the delivery rules live."""
    if ask.purpose == "promotion":
        if not ask.opted_in:
            return Decision(reason="opted_out", detail="no marketing consent on record")
        if ask.promotions_this_week >= rules.max_promotions_per_week:
            return Decision(
                reason="weekly_cap",
                detail=f"{ask.promotions_this_week} promotions in the last 7 days",
            )
        held = in_quiet_hours(rules, now)
        if held is not None:
            return Decision(reason="quiet_hours", detail="quiet hours", hold_until=held)
    by_channel = {c.channel: c for c in ask.contacts if c.reachable}
    tried: list[str] = []
    for name in rules.channel_order:
        contact = by_channel.get(name)
        if contact is None and not (name == "zalo" and ask.has_phone):
            continue
        route, why = (
            _zalo(ask, rules, contact, now) if name == "zalo" else _messenger(ask, contact, now)
        )
        if route is not None:
            return Decision(
                route=route,
                channel=name,
                user_id=contact.user_id if contact is not None else None,
            )
        tried.append(why)
    if ask.contacts and not by_channel:  # a phone alone did not help either
        return Decision(reason="unreachable", detail="every identity is marked unreachable")
    return Decision(reason="no_channel", detail="; ".join(tried) or "no channel identity")


def _age(contact: ContactView | None, now: datetime) -> timedelta | None:
    if contact is None or contact.last_inbound_at is None:
        return None
    return now - contact.last_inbound_at


def _zalo(
    ask: Ask, rules: Rules, contact: ContactView | None, now: datetime
) -> tuple[Route | None, str]:
    age = _age(contact, now)
    if age is not None and age <= ZALO_CS_WINDOW:
        if ask.purpose != "promotion":
            return "zalo_cs", ""
        if rules.zalo_promotions_in_cs_window and age <= ZALO_FREE_WINDOW:
            return "zalo_cs", ""
    if ask.purpose == "reply":
        return None, "zalo: a reply outside the 7-day window"
    template = ask.zalo_template
    if template is None:
        return None, "zalo: outside the window and no ZBS template mapped"
    if template.by_uid and contact is not None:
        return "zalo_zbs_uid", ""
    if ask.has_phone:
        return "zalo_zbs_phone", ""
    return None, "zalo: the template goes by phone and the member has none"


def _messenger(ask: Ask, contact: ContactView | None, now: datetime) -> tuple[Route | None, str]:
    age = _age(contact, now)
    if age is not None and age <= MESSENGER_WINDOW:
        return "messenger", ""
    if ask.purpose == "update" and ask.messenger_template is not None:
        return "messenger_utility", ""
    if ask.purpose == "promotion":
        return None, "messenger: a promotion outside the 24-hour window"
    return None, "messenger: outside the 24-hour window"


def rules_from(outreach: Outreach, channel_order: Sequence[str]) -> Rules:
    """Rules from the content file's `outreach:` section and the channel order setting."""
    return Rules(
        quiet_hours=outreach.quiet_window(),
        max_promotions_per_week=outreach.max_promotions_per_week,
        zalo_promotions_in_cs_window=outreach.zalo_promotions_in_cs_window,
        channel_order=tuple(channel_order),
    )
