"""A journey's numbers, as `GET /api/v1/admin/journeys/{id}` shows them, and the preview.

`enrolled` counts the entries that get the steps; the control group (`holdout`) is counted
apart, so the uplift is one subtraction of conversion rates: converted / enrolled against
holdout.converted / holdout.members. A conversion is a paid order within `conversion_days`
of the entry (each entry counts once; `revenue` sums those orders). Per step (in the order
of the journey as it is now): `reached` (members who ran it), `sent`, `skipped` and the
reasons.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from bot.journeys.enrol import eligible
from bot.journeys.spec import Plan
from bot.journeys.triggers import Triggers
from loyalty import rawsql
from loyalty.models import Member

CONVERSIONS_SQL = (
    "SELECT CASE WHEN e.state = 'holdout' THEN 1 ELSE 0 END AS held,"
    " COUNT(DISTINCT e.id) AS converted, SUM(o.amount) AS revenue"
    " FROM journey_enrolment e JOIN pos_order o ON o.member_id = e.member_id"
    " AND o.status = 'paid' AND o.paid_at >= e.entered_at AND o.paid_at <= e.convert_until"
    " WHERE e.journey_id = ? GROUP BY CASE WHEN e.state = 'holdout' THEN 1 ELSE 0 END"
)


async def report(plan: Plan) -> dict[str, Any]:
    states: Counter[str] = Counter()
    for r in await rawsql.fetch(
        "SELECT state, COUNT(*) AS n FROM journey_enrolment WHERE journey_id = ? GROUP BY state",
        plan.id,
    ):
        states[str(r["state"])] = int(r["n"])
    conv = {0: (0, 0), 1: (0, 0)}
    for r in await rawsql.fetch(CONVERSIONS_SQL, plan.id):
        conv[int(r["held"])] = (int(r["converted"]), int(r["revenue"] or 0))
    runs: dict[str, Counter[str]] = {}
    reasons: dict[str, Counter[str]] = {}
    for r in await rawsql.fetch(
        "SELECT step_id, status, reason, COUNT(*) AS n FROM journey_step_run"
        " WHERE journey_id = ? GROUP BY step_id, status, reason",
        plan.id,
    ):
        sid, n = str(r["step_id"]), int(r["n"])
        runs.setdefault(sid, Counter())[str(r["status"])] += n
        if r["status"] == "skipped":
            reasons.setdefault(sid, Counter())[str(r["reason"] or "other")] += n
    steps = []
    for node in plan.nodes.values():
        counts = runs.get(node.id, Counter())
        steps.append(
            {
                "index": node.index,
                "id": node.id,
                "kind": node.step.kind,
                "reached": sum(counts.values()),
                "sent": counts["sent"],
                "skipped": counts["skipped"],
                "skipped_by_reason": dict(reasons.get(node.id, Counter())),
            }
        )
    treated = sum(n for state, n in states.items() if state != "holdout")
    return {
        "id": plan.id,
        "name": plan.journey.name,
        "enrolled": treated,
        "active": states["active"],
        "completed": states["completed"],
        "exited": states["exited"],
        "converted": conv[0][0],
        "revenue": conv[0][1],
        "holdout": {"members": states["holdout"], "converted": conv[1][0], "revenue": conv[1][1]},
        "steps": steps,
    }


async def preview(plan: Plan, now: datetime, *, sample: int = 20) -> tuple[int, list[Member]]:
    """Who a time trigger would enter now (after audience and re-entry), and how many; an
    event trigger enters members as the events come, so nobody "would enter now"."""
    sql = Triggers().time_sql(plan, now)
    if sql is None:
        return 0, []
    text, params = sql
    ids = [int(r["member_id"]) for r in await rawsql.fetch(text, *params)]
    ids = sorted(await eligible(plan, ids, now))
    shown = await Member.filter(id__in=ids[:sample]).order_by("id")
    return len(ids), list(shown)


def rates(numbers: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(conversion rate of the members who got the steps, of the holdout, the uplift = the
    first minus the second) of a `report`; None where there is nobody to divide by."""
    held = numbers["holdout"]
    treated = _rate(numbers["converted"], numbers["enrolled"])
    control = _rate(held["converted"], held["members"])
    uplift = round(treated - control, 4) if treated is not None and control is not None else None
    return treated, control, uplift


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def active_entries() -> dict[str, int]:
    """Members with steps still to run, per journey id (index `(state, due_at)`)."""
    rows = await rawsql.fetch(
        "SELECT journey_id, COUNT(*) AS n FROM journey_enrolment WHERE state = 'active'"
        " GROUP BY journey_id"
    )
    return {str(r["journey_id"]): int(r["n"]) for r in rows}
