"""Broadcasts: one message to a segment, now or at `send_at`, exactly once per recipient.

Life of a broadcast (`Broadcast.status`): scheduled (waits for `send_at`) → sending, or
waiting (a promotion held by quiet hours, released when they end) → done; cancelled at any
point stops what is not sent yet.

Exactly once per recipient: when sending starts the audience is frozen, one
`BroadcastRecipient` row per member, in one INSERT … SELECT under a conditional update of the
broadcast (two workers cannot both freeze it). Workers then claim small batches of pending
rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never take the same row; SQLite
has one writer), decide each with the delivery policy a batch ahead of the senders, and for
each allowed row: its pace slot, `claimed → sending` (a conditional UPDATE shared by the rows
of that moment, `results.SendingMarker`), the platform call, then `sent` (written a group at
a time, `results.SentWriter`) or `failed`.

The one unavoidable window: the platform accepted the message and the process died before
writing `sent`. Such a row stays `sending`; after the claim lease it is recorded `failed`
with reason "unknown: ..." and never sent again (a duplicate is worse than a miss for a
promotion, and the row says so). Per dead worker the window holds its calls in flight plus
at most one group of marks and one group of unwritten `sent` rows (each bounded by the
concurrency). Rows claimed but not yet `sending` when a worker dies were never attempted:
after the lease they go back to pending, so nobody is skipped.

Pacing: one budget per channel (`OUTREACH_RATE_*`; shared by every worker through Redis,
`pace.py`), a bounded number of calls in flight, transient errors retried with backoff and
jitter, quota errors recorded as `platform_quota` and not retried, Zalo's night refusals
held until the morning.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.content.schema import Content
from bot.content.templating import check_template
from bot.contracts.channel import Channel
from bot.contracts.delivery import PermanentDeliveryError, TransientDeliveryError
from bot.contracts.outbound import Purpose
from bot.core.messages import Image, OutboundMessage, Text
from bot.models import Broadcast, BroadcastRecipient, Contact, OutboxMessage
from bot.outreach import audience, caps
from bot.outreach.pace import Pace as Pace
from bot.outreach.pace import PacerFactory, local_pacers
from bot.outreach.policy import (
    Ask,
    ContactView,
    Decision,
    Rules,
    Template,
    decide,
    in_quiet_hours,
    rules_from,
)
from bot.outreach.results import SendingMarker, SentWriter
from bot.outreach.templates import template_request as template_request
from games.config import VoucherSpec
from loyalty import rawsql, vouchers
from loyalty.models import Member
from loyalty.segments.builtin import BUILTIN_IDS

log = logging.getLogger("bot.outreach.broadcasts")

PURPOSES: tuple[Purpose, ...] = ("promotion", "update")
PLACEHOLDERS = frozenset({"name", "shop", "points", "tier"})
VOUCHER_PLACEHOLDERS = frozenset({"voucher_code", "voucher_value", "expires_at"})
TEXT_MAX = 2000
MAX_TRIES = 4
RETRY_CAP = 30.0
WEEK = timedelta(days=7)
QUOTA_PREFIX = "platform_quota:"  # the Zalo delivery marks quota refusals with it
NIGHT_PREFIX = "night:"  # and the night blocks


class BroadcastError(ValueError):
    """Bad input or a forbidden state change; `code` is the problem code."""

    def __init__(self, code: str, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    segment: str
    purpose: Purpose
    text: str
    image: str | None = None
    send_at: datetime | None = None
    zns_template: str | None = None  # a `zns:` template name, for Zalo members out of window
    voucher: dict[str, Any] | None = None  # a VoucherSpec: one voucher issued per recipient

    def message(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "image": self.image,
            "zns_template": self.zns_template,
            "voucher": self.voucher,
        }


def check(spec: Spec, content: Content) -> None:
    """Everything wrong with `spec`, as a BroadcastError naming the field."""
    known = [*BUILTIN_IDS, *(segment.id for segment in content.segments)]
    try:
        audience.check(spec.segment, known)
    except audience.UnknownSegment as exc:
        raise BroadcastError("unknown_segment", str(exc)) from None
    if spec.purpose not in PURPOSES:
        raise BroadcastError("invalid_purpose", "purpose must be promotion or update")
    allowed = PLACEHOLDERS | (VOUCHER_PLACEHOLDERS if spec.voucher else frozenset())
    if spec.voucher is not None:
        try:
            VoucherSpec.model_validate(spec.voucher)
        except ValueError as exc:
            raise BroadcastError("invalid_voucher", f"message.voucher: {exc}") from None
    problem = check_template(spec.text, allowed)
    if problem:
        raise BroadcastError("invalid_message", f"message.text: {problem[0]} — {problem[1]}")
    name = spec.zns_template
    if (
        name
        and name not in content.zns.templates
        and name not in (content.messenger_utility.templates)
    ):
        raise BroadcastError(
            "unknown_template",
            f"message.zns_template {name!r} is in neither zns: nor messenger_utility: of the "
            "content file",
        )


# --- creating, reading, cancelling ------------------------------------------------------------
async def create(
    spec: Spec, *, content: Content, rules: Rules, now: datetime, idempotency_key: str | None
) -> tuple[Broadcast, bool]:
    """(broadcast, created): the same Idempotency-Key returns the first broadcast."""
    check(spec, content)
    if idempotency_key:
        found = await Broadcast.get_or_none(idempotency_key=idempotency_key)
        if found is not None:
            return found, False
    if spec.send_at is not None and spec.send_at > now:
        status = "scheduled"
    elif spec.purpose == "promotion" and in_quiet_hours(rules, now):
        status = "waiting"
    else:
        status = "sending"
    try:
        row = await Broadcast.create(
            name=spec.name,
            segment=spec.segment,
            purpose=spec.purpose,
            message=spec.message(),
            status=status,
            send_at=spec.send_at,
            idempotency_key=idempotency_key,
        )
    except IntegrityError:  # the same key, created a moment ago by a concurrent request
        return await Broadcast.get(idempotency_key=idempotency_key), False
    return row, True


async def status(row: Broadcast) -> dict[str, Any]:
    """Counts that add up: sent + failed + sum(skipped) + pending = audience."""
    rows = await rawsql.fetch(
        "SELECT status, reason, COUNT(*) AS n FROM broadcast_recipient"
        " WHERE broadcast_id = ? GROUP BY status, reason",
        row.id,
    )
    sent = failed = pending = 0
    skipped: Counter[str] = Counter()
    for r in rows:
        n = int(r["n"])
        if r["status"] == "sent":
            sent += n
        elif r["status"] == "failed":
            failed += n
        elif r["status"] == "skipped":
            skipped[r["reason"] or "other"] += n
        else:
            pending += n
    total = row.audience if row.frozen_at is not None else await audience.count(row.segment)
    return {
        "id": row.id,
        "name": row.name,
        "segment": row.segment,
        "purpose": row.purpose,
        "status": row.status,
        "send_at": row.send_at.isoformat() if row.send_at else None,
        "audience": total,
        "sent": sent,
        "failed": failed,
        "skipped": dict(skipped),
        "pending": pending if row.frozen_at is not None else total,
    }


async def cancel(row: Broadcast, *, now: datetime) -> Broadcast:
    """Stop what is not sent yet; rows in flight finish. The audience is frozen first, so
    the counts still add up (the unsent as skipped `cancelled`)."""
    if row.status in ("done", "cancelled"):
        raise BroadcastError("broadcast_finished", f"the broadcast is already {row.status}", 409)
    await freeze(row, now=now)
    changed = await Broadcast.filter(id=row.id, status=row.status).update(
        status="cancelled", finished_at=now
    )
    if not changed:
        fresh = await Broadcast.get(id=row.id)
        if fresh.status in ("done", "cancelled"):
            raise BroadcastError(
                "broadcast_finished", f"the broadcast is already {fresh.status}", 409
            )
        return await cancel(fresh, now=now)
    await BroadcastRecipient.filter(broadcast_id=row.id, status__in=("pending", "claimed")).update(
        status="skipped", reason="cancelled"
    )
    return await Broadcast.get(id=row.id)


async def freeze(row: Broadcast, *, now: datetime) -> None:
    """Freeze the audience once, whoever asks first (a worker starting, or a cancel)."""
    if row.frozen_at is not None:
        return
    async with in_transaction():
        won = await Broadcast.filter(id=row.id, frozen_at=None).update(frozen_at=now)
        if won:
            n = await audience.freeze(row.id, row.segment, row.purpose)
            await Broadcast.filter(id=row.id).update(audience=n)
    fresh = await Broadcast.get(id=row.id)
    row.frozen_at, row.audience = fresh.frozen_at, fresh.audience


# --- the dry run ------------------------------------------------------------------------------
async def dry_run(spec: Spec, *, content: Content, rules: Rules, now: datetime) -> dict[str, Any]:
    """What a send now would do: audience, would_send per channel, would_skip per reason."""
    check(spec, content)
    ids = await audience.member_ids(spec.segment)
    by_channel: Counter[str] = Counter()
    skips: Counter[str] = Counter()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        asks = await load_asks(chunk, spec.purpose, spec.zns_template, content, now)
        for member_id in chunk:
            d = decide(asks[member_id][1], rules, now)
            if d.allowed:
                by_channel[d.channel or ""] += 1
            else:
                skips[d.reason or "no_channel"] += 1
    return {
        "audience": len(ids),
        "would_send": sum(by_channel.values()),
        "would_send_by_channel": dict(by_channel),
        "would_skip": dict(skips),
    }


async def load_asks(
    member_ids: Sequence[int],
    purpose: Purpose,
    zns_template: str | None,
    content: Content,
    now: datetime,
) -> dict[int, tuple[Member, Ask]]:
    """The policy's inputs for a batch of members, in three set-based reads."""
    members = {m.id: m for m in await Member.filter(id__in=list(member_ids))}
    contacts: dict[int, list[ContactView]] = {}
    for c in await Contact.filter(member_id__in=list(member_ids)).values(
        "member_id", "channel", "user_id", "last_inbound_at", "reachable"
    ):
        contacts.setdefault(c["member_id"], []).append(
            ContactView(c["channel"], c["user_id"], c["last_inbound_at"], c["reachable"])
        )
    used: dict[int, int] = {}
    if purpose == "promotion":  # the weekly cap, across every source (`caps`)
        used = await caps.promotions_sent(member_ids, now - WEEK)
    spec = content.zns.templates.get(zns_template) if zns_template else None
    zalo_template = Template(by_uid=spec.by_uid) if spec is not None else None
    utility = content.messenger_utility.templates.get(zns_template) if zns_template else None
    messenger_template = Template(by_uid=True) if utility is not None else None
    out: dict[int, tuple[Member, Ask]] = {}
    for member_id in member_ids:
        member = members.get(member_id)
        if member is None:
            continue
        out[member_id] = (
            member,
            Ask(
                purpose=purpose,
                contacts=contacts.get(member_id, []),
                opted_in=member.marketing_opt_in,
                promotions_this_week=used.get(member_id, 0),
                has_phone=member.phone is not None,
                zalo_template=zalo_template,
                messenger_template=messenger_template,
            ),
        )
    return out


# --- sending ----------------------------------------------------------------------------------
def _backoff(attempt: int, retry_after: float | None) -> float:
    delay = random.uniform(0.5, 1.0) * min(RETRY_CAP, 0.25 * 2.0**attempt)
    return min(RETRY_CAP, max(delay, retry_after or 0.0))


CLAIM_SQL = (
    "UPDATE broadcast_recipient SET status = 'claimed', claimed_by = ?, claimed_at = ?"
    " WHERE id IN (SELECT id FROM broadcast_recipient WHERE broadcast_id = ?"
    " AND status = 'pending' ORDER BY id LIMIT ?{lock})"
)


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class _Item:
    """A claimed row the policy allowed: to be sent."""

    rid: int
    member: Member
    decision: Decision
    content: Content


@dataclass
class _Job:
    """One `run`: the decided rows waiting for a sender, and what the senders share."""

    row: Broadcast
    result: SendResult
    writer: SentWriter
    queue: asyncio.Queue[_Item | None]
    marker: SendingMarker = field(default_factory=SendingMarker)
    halt: asyncio.Event = field(default_factory=asyncio.Event)
    error: Exception | None = None


class BroadcastSender:
    """Sends due broadcasts; several workers may run one each (they share the rows)."""

    def __init__(
        self,
        *,
        channels: Mapping[str, Channel],
        content: Callable[[], Content],
        clock: Callable[[], datetime],
        channel_order: Sequence[str] = ("zalo", "messenger"),
        rates: Mapping[str, float] | None = None,
        concurrency: int = 32,
        batch: int = 200,
        lease_seconds: float = 120.0,
        worker: str | None = None,
        pacers: PacerFactory | None = None,
    ) -> None:
        self.channels = channels
        self.content = content
        self.clock = clock
        self.channel_order = tuple(channel_order)
        make = pacers or local_pacers  # Redis: one budget per channel across workers
        self.paces = {name: make(name, (rates or {}).get(name, 50.0)) for name in channels}
        self.concurrency = concurrency
        self.batch = batch
        self.lease = timedelta(seconds=lease_seconds)
        self.worker = worker or uuid.uuid4().hex[:12]

    def rules(self) -> Rules:
        return rules_from(self.content().outreach, self.channel_order)

    async def run(self, broadcast_id: int) -> SendResult:
        """Send the broadcast's pending rows until none are left (or it is held/cancelled).

        A pipeline: one task claims and decides batches ahead while `concurrency` tasks
        send, so the calls never wait for the next claim; `sent` is written in groups."""
        result = SendResult()
        row = await Broadcast.get(id=broadcast_id)
        if row.status != "sending":
            return result
        await freeze(row, now=self.clock())
        await self.recover(row)
        async with SentWriter(self.clock, group=self.concurrency) as writer:
            job = _Job(
                row,
                result,
                writer,
                asyncio.Queue(maxsize=max(self.batch, 1)),
                SendingMarker(group=max(1, self.concurrency // 4)),
            )
            senders = [asyncio.create_task(self._sender(job)) for _ in range(self.concurrency)]
            try:
                done = await self._produce(job)
            except BaseException:
                job.halt.set()
                raise
            finally:
                for _ in senders:
                    await job.queue.put(None)
                await asyncio.gather(*senders)
        if job.error is not None:
            raise job.error
        if done:
            await self.finish_if_done(row)
        return result

    async def _produce(self, job: _Job) -> bool:
        """Claim and decide batches into the queue; True once no pending rows are left."""
        while not job.halt.is_set():
            row = await Broadcast.get(id=job.row.id)
            if row.status != "sending":
                return False
            now = self.clock()
            if row.purpose == "promotion" and in_quiet_hours(self.rules(), now):
                await Broadcast.filter(id=row.id, status="sending").update(status="waiting")
                return False
            claimed = await self.claim(row, now)
            if not claimed:
                return True
            for item in await self.decide_batch(row, claimed, job.result):
                await job.queue.put(item)
        return False

    async def _sender(self, job: _Job) -> None:
        """One of the `concurrency` send loops; once the job halts (the platform's night,
        an error) the rows still queued go back to pending, never attempted."""
        held: list[int] = []
        while (item := await job.queue.get()) is not None:
            if job.halt.is_set():
                held.append(item.rid)
                continue
            try:
                await self.send_one(
                    job.row, item.rid, item.member, item.decision, item.content, job.result,
                    writer=job.writer, marker=job.marker, halt=job.halt,
                )  # fmt: skip
            except Exception as exc:  # the row stays claimed/sending: the lease recovers it
                log.exception("broadcast %s row %s", job.row.id, item.rid)
                job.error = job.error or exc
                job.halt.set()
        if held:
            await BroadcastRecipient.filter(id__in=held, status="claimed").update(
                status="pending", claimed_by=None
            )

    async def claim(self, row: Broadcast, now: datetime) -> list[tuple[int, int]]:
        token = f"{self.worker}:{uuid.uuid4().hex[:8]}"
        lock = " FOR UPDATE SKIP LOCKED" if rawsql.is_postgres() else ""
        await rawsql.execute(CLAIM_SQL.format(lock=lock), token, now, row.id, self.batch)
        rows = await BroadcastRecipient.filter(claimed_by=token, status="claimed").values_list(
            "id", "member_id"
        )
        return [(int(i), int(m)) for i, m in rows]

    async def recover(self, row: Broadcast) -> None:
        """Rows of a worker that died: never attempted → pending again; in the platform call
        (or accepted, its `sent` not yet written) → failed, never resent (the window)."""
        stale = self.clock() - self.lease
        await BroadcastRecipient.filter(
            broadcast_id=row.id, status="claimed", claimed_at__lt=stale
        ).update(status="pending", claimed_by=None)
        n = await BroadcastRecipient.filter(
            broadcast_id=row.id, status="sending", claimed_at__lt=stale
        ).update(
            status="failed",
            reason="unknown: the worker stopped during the platform call (may have arrived)",
        )
        if n:
            log.warning("broadcast %s: %d sends interrupted mid-call, not retried", row.id, n)

    async def finish_if_done(self, row: Broadcast) -> None:
        busy = await BroadcastRecipient.filter(
            broadcast_id=row.id, status__in=("pending", "claimed", "sending")
        ).exists()
        if not busy:
            await Broadcast.filter(id=row.id, status="sending").update(
                status="done", finished_at=self.clock()
            )

    async def decide_batch(
        self, row: Broadcast, claimed: list[tuple[int, int]], result: SendResult
    ) -> list[_Item]:
        """The policy for a claimed batch: skips written per reason, the rest to send."""
        content = self.content()
        rules = self.rules()
        now = self.clock()
        message = row.message
        purpose: Purpose = "update" if row.purpose == "update" else "promotion"
        asks = await load_asks(
            [m for _, m in claimed], purpose, message.get("zns_template"), content, now
        )
        skips: dict[str, list[int]] = {}
        todo: list[_Item] = []
        for rid, member_id in claimed:
            if member_id not in asks:
                skips.setdefault("no_channel", []).append(rid)
                continue
            member, ask = asks[member_id]
            d = decide(ask, rules, now)
            if d.reason == "quiet_hours":  # quiet hours began mid-batch: hold, don't drop
                skips.setdefault("_hold", []).append(rid)
            elif not d.allowed:
                skips.setdefault(d.reason or "no_channel", []).append(rid)
            else:
                todo.append(_Item(rid, member, d, content))
        for reason, ids in skips.items():
            if reason == "_hold":
                await BroadcastRecipient.filter(id__in=ids).update(
                    status="pending", claimed_by=None
                )
                continue
            await BroadcastRecipient.filter(id__in=ids, status="claimed").update(
                status="skipped", reason=reason
            )
            result.skipped[reason] += len(ids)
        return todo

    async def send_batch(
        self, row: Broadcast, claimed: list[tuple[int, int]], result: SendResult
    ) -> None:
        """Decide and send one claimed batch to the end (tests and callers outside `run`)."""
        items = await self.decide_batch(row, claimed, result)
        gate = asyncio.Semaphore(self.concurrency)
        async with SentWriter(self.clock, group=self.concurrency) as writer:

            async def one(item: _Item) -> None:
                async with gate:
                    await self.send_one(
                        row, item.rid, item.member, item.decision, item.content, result,
                        writer=writer,
                    )  # fmt: skip

            await asyncio.gather(*(one(item) for item in items))

    async def send_one(
        self,
        row: Broadcast,
        rid: int,
        member: Member,
        d: Decision,
        content: Content,
        result: SendResult,
        *,
        writer: SentWriter | None = None,
        marker: SendingMarker | None = None,
        halt: asyncio.Event | None = None,
    ) -> None:
        channel = self.channels.get(d.channel or "")
        template = template_request(
            content, row.message.get("zns_template"), member, d, tracking=f"b{row.id}r{rid}"
        )
        wired = d.route in ("zalo_cs", "messenger") and d.user_id is not None
        if channel is None or not (wired or template is not None):
            # the mapping vanished between the policy and the send (a content reload)
            await BroadcastRecipient.filter(id=rid, status="claimed").update(
                status="skipped", reason="no_channel", channel=d.channel
            )
            result.skipped["no_channel"] += 1
            return
        pace = self.paces[channel.name]
        await pace.wait()  # the slot first: the row is `sending` only right before its call
        if marker is not None:
            went = await marker.mark(rid, channel.name)
        else:
            went = bool(
                await rawsql.execute(
                    "UPDATE broadcast_recipient SET status = 'sending', channel = ?"
                    " WHERE id = ? AND status = 'claimed'",
                    channel.name,
                    rid,
                )
            )
        if not went:  # cancelled meanwhile
            return
        extra = await self.voucher_for(row, member, content)
        if template is not None:
            calls = [template]
        else:
            text = content.render(
                row.message["text"],
                name=member.name or "",
                points=member.points_balance,
                tier=member.tier,
                **extra,
            )
            messages: list[OutboundMessage] = [
                Text(text=text, promotional=row.purpose == "promotion")
            ]
            if row.message.get("image"):
                messages.insert(0, Image(url=row.message["image"]))
            rendered = channel.render(messages, user_id=d.user_id or "", reply_to=None)
            calls = [(req.method, req.payload) for req in rendered]
        platform_id: str | None = None
        user_id = d.user_id or f"member:{member.id}"
        try:
            for n, (method, payload) in enumerate(calls):
                platform_id = await self.deliver(
                    channel, row, user_id, method, payload, paced=n == 0
                )
        except PermanentDeliveryError as exc:
            if exc.unreachable:  # blocked / gone: as the outbox does, nothing more to them
                await Contact.filter(
                    channel=channel.name, account_id=channel.account_id, user_id=d.user_id
                ).update(reachable=False, unreachable_reason=exc.reason[:255])
            await BroadcastRecipient.filter(id=rid).update(
                status="failed", reason=exc.reason[:255]
            )
            result.failed += 1
            return
        except TransientDeliveryError as exc:
            if exc.reason.startswith(NIGHT_PREFIX):  # the platform's night: held, not dropped
                if halt is not None:
                    halt.set()
                await BroadcastRecipient.filter(id=rid).update(status="pending", claimed_by=None)
                await Broadcast.filter(id=row.id, status="sending").update(status="waiting")
                return
            quota = exc.reason.startswith(QUOTA_PREFIX)
            await BroadcastRecipient.filter(id=rid).update(
                status="skipped" if quota else "failed",
                reason="platform_quota" if quota else exc.reason[:255],
            )
            if quota:
                result.skipped["platform_quota"] += 1
            else:
                result.failed += 1
            return
        result.sent += 1
        if writer is not None:
            await writer.sent(rid, platform_id)
            return
        await rawsql.execute(
            "UPDATE broadcast_recipient SET status = 'sent', sent_at = ?, platform_message_id = ?"
            " WHERE id = ?",
            self.clock(),
            platform_id,
            rid,
        )

    async def voucher_for(
        self, row: Broadcast, member: Member, content: Content
    ) -> dict[str, str]:
        """The recipient's own voucher when the broadcast gives one (once per member and
        broadcast: `source_ref`), as placeholders."""
        raw = row.message.get("voucher")
        if not raw:
            return {}
        spec = VoucherSpec.model_validate(raw)
        v = await vouchers.issue(
            member, spec, source="broadcast", source_ref=f"broadcast:{row.id}:{member.id}"
        )
        return {
            "voucher_code": v.code,
            "voucher_value": content.voucher_value(spec),
            "expires_at": content.format_date(v.expires_at),
        }

    async def deliver(
        self,
        channel: Channel,
        row: Broadcast,
        user_id: str,
        method: str,
        payload: dict[str, Any],
        *,
        paced: bool = False,
    ) -> str | None:
        """One platform call, paced, with retries on transient errors (not on quota)."""
        stored = OutboxMessage(
            id=0,
            channel=channel.name,
            account_id=channel.account_id,
            user_id=user_id,
            method=method,
            payload=payload,
            promotional=row.purpose == "promotion",
            purpose=row.purpose,
            attempts=0,
        )
        stored.window_checked = True  # decided by the policy: not read again
        for attempt in range(1, MAX_TRIES + 1):
            if not (paced and attempt == 1):  # `paced`: the caller took the first slot
                await self.paces[channel.name].wait()
            try:
                if channel.sandbox:
                    return await channel.deliver_sandbox(stored)
                return await channel.deliver(stored)
            except TransientDeliveryError as exc:
                held = exc.reason.startswith((QUOTA_PREFIX, NIGHT_PREFIX))
                if held or attempt == MAX_TRIES or exc.reason.startswith("may have been"):
                    raise
                await asyncio.sleep(_backoff(attempt, exc.retry_after))
        raise AssertionError("unreachable")
