"""What each step does, for one member, given what the batch loaded for it.

Every effect is keyed by the step run (`journey:<enrolment>:<step>`), so running a step a
second time after a worker died half-way changes nothing more: the outbox row has that
dedupe key, the voucher that `source_ref`, the points entry that `ref`; tags are a set.
A `send` asks the outreach policy first (opt-out, weekly cap counting journey sends too,
channel windows, quiet hours): quiet hours hold the step until they end; any other refusal
records the step as skipped with the policy's reason and the member goes on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from bot.content.journeys import Condition
from bot.content.schema import Content
from bot.contracts.outbound import Purpose
from bot.core.messages import Text
from bot.journeys.models import JourneyEnrolment
from bot.journeys.spec import Node, wait_until
from bot.outreach import audience
from bot.outreach.broadcasts import load_asks, template_request
from bot.outreach.notices import voucher_vars
from bot.outreach.policy import Ask, Rules, Template, decide
from bot.pipeline.outbox import Outbox
from loyalty import points, rawsql, tags, vouchers
from loyalty.models import Member, Voucher

SEND_REF = "journey-send:"  # vouchers a journey message shows (announced by it)
STEP_REF = "journey:"  # vouchers, points of steps without a message


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a step did: `status` done/sent/skipped (with `reason`), where the member goes
    (`next`, due at `due_at`), or `hold_until` (quiet hours: run the same step then)."""

    status: str = "done"
    next: str | None = None
    due_at: datetime | None = None
    reason: str | None = None
    purpose: str | None = None
    channel: str | None = None
    sent_at: datetime | None = None
    hold_until: datetime | None = None


@dataclass
class Batch:
    """What a claimed batch of enrolments needs, read set-based once."""

    members: dict[int, Member]
    asks: dict[int, Ask]
    last_paid: dict[int, datetime]
    tags: dict[int, set[str]]
    journey_promotions: Counter[int]
    segments: dict[str, set[int]] = field(default_factory=dict)

    @classmethod
    async def load(cls, member_ids: Sequence[int], content: Content, now: datetime) -> Batch:
        ids = sorted(set(member_ids))
        loaded = await load_asks(ids, "promotion", None, content, now) if ids else {}
        marks = ",".join("?" * len(ids))
        last_paid: dict[int, datetime] = {}
        tag_sets: dict[int, set[str]] = {}
        promos: Counter[int] = Counter()  # this batch's own sends (`load_asks` counts the rest)
        if ids:
            for r in await rawsql.fetch(
                "SELECT member_id, MAX(paid_at) AS at FROM pos_order WHERE status = 'paid'"
                f" AND member_id IN ({marks}) GROUP BY member_id",
                *ids,
            ):
                last_paid[int(r["member_id"])] = _aware(r["at"])
            for r in await rawsql.fetch(
                f"SELECT member_id, tag FROM member_tag WHERE member_id IN ({marks})", *ids
            ):
                tag_sets.setdefault(int(r["member_id"]), set()).add(str(r["tag"]))
        return cls(
            members={k: m for k, (m, _) in loaded.items()},
            asks={k: a for k, (_, a) in loaded.items()},
            last_paid=last_paid,
            tags=tag_sets,
            journey_promotions=promos,
        )

    async def in_segment(self, segment: str, member_id: int) -> bool:
        if segment not in self.segments:
            ids = sorted(self.members)
            marks = ",".join("?" * len(ids)) or "NULL"
            rows = await rawsql.fetch(
                f"SELECT m.id FROM member m WHERE {audience.where(segment)} AND m.id IN ({marks})",
                *ids,
            )
            self.segments[segment] = {int(r["id"]) for r in rows}
        return member_id in self.segments[segment]

    def ordered_since(self, member_id: int, since: datetime) -> bool:
        paid = self.last_paid.get(member_id)
        return paid is not None and paid > since


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    moment: datetime = value
    return moment


def step_key(enrolment_id: int, step_id: str) -> str:
    return f"{enrolment_id}:{step_id}"[:100]


class StepRunner:
    def __init__(self, *, outbox: Outbox, channels: Mapping[str, Any]) -> None:
        self.outbox = outbox
        self.channels = channels

    async def run(
        self,
        node: Node,
        enr: JourneyEnrolment,
        batch: Batch,
        content: Content,
        rules: Rules,
        now: datetime,
    ) -> Outcome:
        step = node.step
        member = batch.members.get(enr.member_id)
        if member is None:  # erased or merged away meanwhile
            return Outcome(status="skipped", reason="no_member", next=None)
        key = step_key(enr.id, node.id)
        kind = step.kind
        if kind == "wait":
            return Outcome(next=node.next, due_at=wait_until(node, now))
        if kind == "if":
            assert step.if_ is not None
            yes = await self._test(step.if_, enr, member, batch)
            target = (node.then if yes else node.otherwise) or node.next
            return Outcome(next=target, reason="then" if yes else "else")
        if kind == "points":
            assert step.points is not None
            await points.adjust(
                member, step.points.add, reason=step.points.reason, ref=STEP_REF + key
            )
            return Outcome(next=node.next)
        if kind == "tag":
            assert step.tag is not None
            if step.tag.add:
                await tags.add_tags(member, step.tag.add)
                batch.tags.setdefault(member.id, set()).update(step.tag.add)
            if step.tag.remove:
                await tags.remove_tags(member, step.tag.remove)
                batch.tags.get(member.id, set()).difference_update(step.tag.remove)
            return Outcome(next=node.next)
        if kind == "voucher":
            assert step.voucher is not None
            await vouchers.issue(member, step.voucher, source="journey", source_ref=STEP_REF + key)
            return Outcome(next=node.next)
        return await self._send(node, enr, member, batch, content, rules, now, key)

    async def _test(
        self, cond: Condition, enr: JourneyEnrolment, member: Member, batch: Batch
    ) -> bool:
        if cond.ordered_since_entry is not None:
            ordered = batch.ordered_since(member.id, enr.entered_at)
            return ordered == cond.ordered_since_entry
        if cond.in_segment is not None:
            return await batch.in_segment(cond.in_segment, member.id)
        if cond.tier is not None:
            return bool(member.tier == cond.tier)
        return bool(cond.tag in batch.tags.get(member.id, set()))

    async def _send(
        self,
        node: Node,
        enr: JourneyEnrolment,
        member: Member,
        batch: Batch,
        content: Content,
        rules: Rules,
        now: datetime,
        key: str,
    ) -> Outcome:
        send = node.step.send
        assert send is not None
        purpose: Purpose = "promotion" if send.purpose == "promotion" else "update"
        ask = batch.asks.get(member.id)
        if ask is None:
            return Outcome(status="skipped", reason="no_channel", purpose=purpose, next=node.next)
        spec = content.zns.templates.get(send.zns_template) if send.zns_template else None
        ask = replace(
            ask,
            purpose=purpose,
            promotions_this_week=ask.promotions_this_week + batch.journey_promotions[member.id],
            zalo_template=Template(by_uid=spec.by_uid) if spec is not None else None,
        )
        d = decide(ask, rules, now)
        if d.reason == "quiet_hours" and d.hold_until is not None:
            return Outcome(hold_until=d.hold_until)
        if not d.allowed or not d.channel or d.channel not in self.channels:
            reason = d.reason or "no_channel"
            return Outcome(status="skipped", reason=reason, purpose=purpose, next=node.next)
        template = None
        wired = d.route in ("zalo_cs", "messenger") and d.user_id is not None
        if not wired:
            template = template_request(content, send.zns_template, member, d, tracking=key)
            if template is None:
                return Outcome(
                    status="skipped", reason="no_channel", purpose=purpose, next=node.next
                )
        variables = await self._voucher_vars(node, enr, member, content, key)
        if template is not None:
            template = template_request(
                content, send.zns_template, member, d, tracking=key, **variables
            )
            assert template is not None
            method, payload = template
            await self.outbox.queue_request(
                d.channel,
                d.user_id or f"member:{member.id}",
                method,
                payload,
                dedupe_key=f"journey:{key}:0",
                purpose=purpose,
            )
        else:
            text = content.render(
                send.text,
                name=member.name or "",
                points=member.points_balance,
                tier=member.tier,
                **variables,
            )
            await self.outbox.queue_messages(
                d.channel,
                d.user_id or "",
                [Text(text=text, promotional=purpose == "promotion")],
                dedupe_prefix=f"journey:{key}",
                purpose=purpose,
            )
        if purpose == "promotion":
            batch.journey_promotions[member.id] += 1
        return Outcome(
            status="sent", purpose=purpose, channel=d.channel, sent_at=now, next=node.next
        )

    async def _voucher_vars(
        self, node: Node, enr: JourneyEnrolment, member: Member, content: Content, key: str
    ) -> dict[str, str]:
        """The step's own voucher (issued once per step run), or the voucher that triggered
        a voucher_expiring journey."""
        spec = node.step.voucher
        if spec is not None:
            v = await vouchers.issue(member, spec, source="journey", source_ref=SEND_REF + key)
            return voucher_vars(content, v)
        if enr.ref and enr.ref.startswith("voucher:"):
            found = await Voucher.get_or_none(id=int(enr.ref.split(":", 1)[1]))
            if found is not None:
                return voucher_vars(content, found)
        return {}
