"""The journeys' part of the scheduler tick: enter whoever a trigger fired for, exit those
who ordered, then run every due step, each exactly once.

Due steps: workers claim batches of active enrolments whose `due_at` has come (index
`(state, due_at)`; `FOR UPDATE SKIP LOCKED` on PostgreSQL so two workers never take the same
row; SQLite has one writer) by moving `due_at` past a lease and stamping a claim token. A
worker that dies leaves its rows due again after the lease, by themselves.

Exactly once: a step's effects are keyed by its step run (see `bot.journeys.steps`), and the
step run is recorded in the same transaction that moves the member on, conditional on the
claim still being this worker's and the member still being at that step. So a step
interrupted after its effects is re-run once with no second effect; a step whose record
committed is never run again; a worker whose lease ran out loses its update.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from bot.content.schema import Content
from bot.journeys.enrol import ts
from bot.journeys.models import JourneyEnrolment
from bot.journeys.spec import Plan, compile_plan
from bot.journeys.steps import Batch, Outcome, StepRunner
from bot.journeys.triggers import Triggers
from bot.outreach.policy import rules_from
from bot.pipeline.outbox import Outbox
from loyalty import rawsql

log = logging.getLogger("bot.journeys.runner")

MAX_STEPS_PER_RUN = 50  # a guard: steps run back to back until a wait (no loops exist)
Checkpoint = Callable[[str, JourneyEnrolment, str], Awaitable[None]]

CLAIM_SQL = (
    "UPDATE journey_enrolment SET due_at = ?, claimed_by = ? WHERE id IN ("
    "SELECT id FROM journey_enrolment WHERE state = 'active' AND due_at <= ?"
    " AND journey_id IN ({journeys}) ORDER BY due_at LIMIT ?{lock})"
)
RECORD_SQL = (
    "INSERT INTO journey_step_run (enrolment_id, journey_id, step_id, kind, member_id, status,"
    " reason, purpose, channel, sent_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (enrolment_id, step_id) DO NOTHING"
)


MOVE_SQL = (
    "UPDATE journey_enrolment SET step_id = ?, due_at = COALESCE(?, due_at)"
    " WHERE id = ? AND claimed_by = ? AND step_id = ? AND state = 'active'"
)
RECORD_PG = (
    f"WITH moved AS ({MOVE_SQL} RETURNING id) "
    "INSERT INTO journey_step_run (enrolment_id, journey_id, step_id, kind, member_id, status,"
    " reason, purpose, channel, sent_at, created_at)"
    " SELECT CAST(? AS BIGINT), ?, ?, ?, CAST(? AS BIGINT), ?, ?, ?, ?,"
    " CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ) FROM moved"
    " ON CONFLICT (enrolment_id, step_id) DO NOTHING RETURNING enrolment_id"
)
"""PostgreSQL: the move and the step run in one statement (the run is written only when
the move happened, i.e. the claim is still ours)."""


class LostClaim(Exception):
    """Another worker owns the enrolment now (our lease ran out): stop, change nothing."""


@dataclass
class TickResult:
    entered: int = 0
    exited: int = 0
    steps: int = 0
    enrolments: int = 0


class Journeys:
    """The journeys engine of one process; `tick(now)` hangs on the outreach Scheduler."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        channels: Mapping[str, Any],
        content: Callable[[], Content],
        clock: Callable[[], datetime],
        channel_order: Sequence[str] = ("zalo", "messenger"),
        batch: int = 200,
        concurrency: int = 16,
        lease_seconds: float = 120.0,
        time_scan_seconds: float = 300.0,
        max_batches: int = 200,
        worker: str | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        """`checkpoint(where, enrolment, step_id)` is awaited between a step's effects and
        its record ("effects") and between two steps ("between"): the fault tests stop a
        worker there."""
        self.outbox = outbox
        self.content = content
        self.clock = clock
        self.channel_order = tuple(channel_order)
        self.batch = batch
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease_seconds)
        self.max_batches = max_batches
        self.worker = worker or uuid.uuid4().hex[:12]
        self.checkpoint = checkpoint
        self.triggers = Triggers(time_scan_seconds=time_scan_seconds)
        self.steps = StepRunner(outbox=outbox, channels=channels)
        self._plans: tuple[Content | None, dict[str, Plan]] = (None, {})
        self.last = TickResult()

    def plans(self) -> dict[str, Plan]:
        """The live content's journeys, compiled once per content version."""
        content = self.content()
        if self._plans[0] is not content:  # a reload is a new object
            self._plans = (content, {j.id: compile_plan(j) for j in content.journeys})
        return self._plans[1]

    async def tick(self, now: datetime | None = None) -> int:
        """One pass; returns how many steps ran."""
        now = now or self.clock()
        plans = self.plans()
        result = TickResult()
        if not plans:
            self.last = result
            return 0
        content = self.content()
        entered = await self.triggers.scan(list(plans.values()), content.loyalty, now)
        result.entered = sum(entered.values())
        result.exited = await self.exit_ordered(plans, self.triggers.ordered, now)
        for _ in range(self.max_batches):
            claimed = await self.claim(plans, now)
            if not claimed:
                break
            result.enrolments += len(claimed)
            result.steps += await self.run_batch(claimed, plans, content, now)
        self.last = result
        if result.entered or result.steps or result.exited:
            log.info(
                "journeys: %d entered, %d exited on order, %d steps for %d members",
                result.entered,
                result.exited,
                result.steps,
                result.enrolments,
            )
        return result.steps

    async def exit_ordered(
        self, plans: Mapping[str, Plan], member_ids: set[int], now: datetime
    ) -> int:
        """Members with a new paid order since they entered leave journeys with
        `exit_on: [order]` at once (set-based; the step run checks again)."""
        ids = sorted(member_ids)
        journeys = [p.id for p in plans.values() if "order" in p.journey.exit_on]
        if not ids or not journeys:
            return 0
        n = 0
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            n += await rawsql.execute(
                "UPDATE journey_enrolment SET state = 'exited', exit_reason = 'order',"
                " finished_at = ?, due_at = NULL WHERE state = 'active'"
                f" AND journey_id IN ({','.join('?' * len(journeys))})"
                f" AND member_id IN ({','.join('?' * len(chunk))})"
                " AND EXISTS (SELECT 1 FROM pos_order o WHERE o.member_id ="
                " journey_enrolment.member_id AND o.status = 'paid'"
                " AND o.paid_at > journey_enrolment.entered_at)",
                ts(now),
                *journeys,
                *chunk,
            )
        return n

    async def claim(self, plans: Mapping[str, Plan], now: datetime) -> list[JourneyEnrolment]:
        token = f"{self.worker}:{uuid.uuid4().hex[:8]}"
        lock = " FOR UPDATE SKIP LOCKED" if rawsql.is_postgres() else ""
        ids = list(plans)
        sql = CLAIM_SQL.format(journeys=",".join("?" * len(ids)), lock=lock)
        await rawsql.execute(sql, ts(now + self.lease), token, ts(now), *ids, self.batch)
        return list(await JourneyEnrolment.filter(claimed_by=token, state="active").order_by("id"))

    async def run_batch(
        self,
        claimed: list[JourneyEnrolment],
        plans: Mapping[str, Plan],
        content: Content,
        now: datetime,
    ) -> int:
        batch = await Batch.load([e.member_id for e in claimed], content, now)
        gate = asyncio.Semaphore(self.concurrency)
        counts: list[int] = []

        by_member: dict[int, list[JourneyEnrolment]] = {}
        for enr in claimed:
            by_member.setdefault(enr.member_id, []).append(enr)

        async def one(enrolments: list[JourneyEnrolment]) -> None:
            # One member's journeys one after another: the weekly cap sees each send.
            async with gate:
                for enr in enrolments:
                    try:
                        counts.append(await self.advance(enr, plans[enr.journey_id], batch, now))
                    except LostClaim:
                        log.info("journey enrolment %s: claimed by another worker", enr.id)

        await asyncio.gather(*(one(group) for group in by_member.values()))
        return sum(counts)

    async def advance(self, enr: JourneyEnrolment, plan: Plan, batch: Batch, now: datetime) -> int:
        """Run the member's due steps back to back until a wait, a hold or the end."""
        content = self.content()
        rules = rules_from(content.outreach, self.channel_order)
        ran = 0
        for _ in range(MAX_STEPS_PER_RUN):
            node = plan.node(enr.step_id)
            if node is None:  # the end (or a step the edited journey no longer has)
                await self._finish(enr, "completed", None, now)
                return ran
            reason = await self._exit_reason(enr, plan, batch)
            if reason is not None:
                await self._finish(enr, "exited", reason, now)
                return ran
            outcome = await self.steps.run(node, enr, batch, content, rules, now)
            if outcome.hold_until is not None:
                await self._move(enr, enr.step_id, outcome.hold_until)
                return ran
            if self.checkpoint is not None:
                await self.checkpoint("effects", enr, node.id)
            await self._record(enr, node.id, node.step.kind, outcome, now)
            ran += 1
            if outcome.due_at is not None and outcome.due_at > now:
                return ran
            if self.checkpoint is not None:
                await self.checkpoint("between", enr, node.id)
        await self._move(enr, enr.step_id, now + self.lease)
        return ran

    async def _exit_reason(self, enr: JourneyEnrolment, plan: Plan, batch: Batch) -> str | None:
        exits = plan.journey.exit_on
        if "order" in exits and batch.ordered_since(enr.member_id, enr.entered_at):
            return "order"
        member = batch.members.get(enr.member_id)
        if "opt_out" in exits and member is not None and not member.marketing_opt_in:
            return "opt_out"
        segment = plan.journey.audience
        if (
            "left_segment" in exits
            and segment
            and not await batch.in_segment(segment, enr.member_id)
        ):
            return "left_segment"
        return None

    async def _record(
        self, enr: JourneyEnrolment, step_id: str, kind: str, outcome: Outcome, now: datetime
    ) -> None:
        """The step run and the move to the next step, together or not at all. Without a
        wait the due time stays where the claim put it (past the lease), so nobody else takes
        the member while this worker goes on with the next step."""
        values = (
            enr.id,
            enr.journey_id,
            step_id,
            kind,
            enr.member_id,
            outcome.status,
            outcome.reason,
            outcome.purpose,
            outcome.channel,
            ts(outcome.sent_at) if outcome.sent_at else None,
            ts(now),
        )
        due = ts(outcome.due_at) if outcome.due_at else None
        if rawsql.is_postgres():  # one statement, atomic by itself: no BEGIN/COMMIT trips
            moved = await rawsql.execute(
                RECORD_PG, outcome.next, due, enr.id, enr.claimed_by, step_id, *values
            )
            if not moved:
                raise LostClaim(enr.id)
        else:
            async with in_transaction():
                await rawsql.execute(RECORD_SQL, *values)
                moved = await rawsql.execute(
                    MOVE_SQL, outcome.next, due, enr.id, enr.claimed_by, step_id
                )
                if not moved:
                    raise LostClaim(enr.id)
        enr.step_id = outcome.next
        if outcome.due_at is not None:
            enr.due_at = outcome.due_at

    async def _move(self, enr: JourneyEnrolment, step_id: str | None, due: datetime) -> None:
        await JourneyEnrolment.filter(id=enr.id, claimed_by=enr.claimed_by, state="active").update(
            step_id=step_id, due_at=due
        )

    async def _finish(
        self, enr: JourneyEnrolment, state: str, reason: str | None, now: datetime
    ) -> None:
        await JourneyEnrolment.filter(id=enr.id, claimed_by=enr.claimed_by, state="active").update(
            state=state, exit_reason=reason, finished_at=now, due_at=None
        )
