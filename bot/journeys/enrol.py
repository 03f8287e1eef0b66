"""Entering members into a journey: audience, re-entry policy, control group, one bulk write.

The n-th entry of a member into a journey is one row (`UNIQUE(journey_id, member_id,
entry_no)`), so a second trigger for the same member, a re-scan after a crash or two workers
enrolling at once write it once (the INSERT ignores the conflict). A member with an active
entry never gets a second one; `reentry: once` never lets a member in again, `every: 30d`
after 30 days from the last entry. Holdout members get a row too (state `holdout`, nothing
runs), so the report can compare them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from bot.journeys.models import JourneyEnrolment
from bot.journeys.spec import Plan, in_holdout
from bot.outreach import audience
from loyalty import rawsql

CHUNK = 500  # rows per statement (and bound parameters well under the driver's limit)


def ts(moment: datetime) -> datetime:
    """A timestamp parameter in UTC, as the database stores them."""
    return moment.astimezone(UTC)


def _marks(n: int) -> str:
    return ",".join("?" * n)


def blocked_sql(plan: Plan, now: datetime, alias: str = "m.id") -> tuple[str, list[object]]:
    """`NOT EXISTS` of an entry that keeps the member out (set-based pre-filter)."""
    after = plan.journey.reentry_after()
    if after is None:
        return (
            f"NOT EXISTS (SELECT 1 FROM journey_enrolment e WHERE e.journey_id = ?"
            f" AND e.member_id = {alias})",
            [plan.id],
        )
    return (
        f"NOT EXISTS (SELECT 1 FROM journey_enrolment e WHERE e.journey_id = ?"
        f" AND e.member_id = {alias} AND (e.state = 'active' OR e.entered_at > ?))",
        [plan.id, ts(now - after)],
    )


async def eligible(plan: Plan, member_ids: Sequence[int], now: datetime) -> dict[int, int]:
    """Those of `member_ids` who may enter now (live, in the audience, not kept out by an
    earlier entry), each with the number its entry gets. One statement per chunk: an entry
    another worker commits meanwhile either keeps the member out or takes the same number
    (and the unique key drops ours)."""
    out: dict[int, int] = {}
    where = audience.where(plan.journey.audience or "all")
    block, params = blocked_sql(plan, now)
    for start in range(0, len(member_ids), CHUNK):
        chunk = list(member_ids[start : start + CHUNK])
        rows = await rawsql.fetch(
            "SELECT m.id, COALESCE((SELECT MAX(p.entry_no) FROM journey_enrolment p"
            " WHERE p.journey_id = ? AND p.member_id = m.id), 0) + 1 AS n"
            f" FROM member m WHERE {where} AND m.id IN ({_marks(len(chunk))}) AND {block}",
            plan.id,
            *chunk,
            *params,
        )
        out.update({int(r["id"]): int(r["n"]) for r in rows})
    return out


async def enrol(plan: Plan, refs: Mapping[int, str | None], now: datetime) -> int:
    """Enter each member of `refs` (member id → what triggered it) who may enter; returns
    how many were written (members already in, or just written by another worker, are
    not counted)."""
    entries = await eligible(plan, sorted(refs), now)
    if not entries:
        return 0
    journey = plan.journey
    until = now + timedelta(days=journey.conversion_days)
    rows: list[JourneyEnrolment] = []
    for member_id, entry_no in sorted(entries.items()):
        held = in_holdout(plan.id, member_id, journey.holdout_percent)
        rows.append(
            JourneyEnrolment(
                journey_id=plan.id,
                member_id=member_id,
                entry_no=entry_no,
                state="holdout" if held else "active",
                step_id=None if held else plan.first,
                due_at=None if held else now,
                entered_at=now,
                convert_until=until,
                ref=(refs.get(member_id) or None),
            )
        )
    before = await JourneyEnrolment.filter(journey_id=plan.id, entered_at=now).count()
    await JourneyEnrolment.bulk_create(rows, batch_size=CHUNK, ignore_conflicts=True)
    after = await JourneyEnrolment.filter(journey_id=plan.id, entered_at=now).count()
    return after - before
