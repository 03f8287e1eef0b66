"""A journey from the content file, compiled for running: its steps by id, in order, each
with the step that follows it, and the deterministic control-group draw.

Step ids are what an enrolment remembers (`JourneyEnrolment.step_id`), so an edited journey
continues each member at the same id on the new version; an id the new version lacks ends
the member's run (README "Journeys").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.content.journeys import Journey, Step, Wait, parse_duration, walk
from bot.outreach.policy import VN


@dataclass(frozen=True, slots=True)
class Node:
    """One step: `next` is where a member goes after it (None: the end); an `if` also has
    the first step of each branch (None: the branch is empty, go to `next`)."""

    id: str
    index: int
    step: Step
    next: str | None
    then: str | None = None
    otherwise: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    journey: Journey
    nodes: dict[str, Node]
    first: str

    @property
    def id(self) -> str:
        return self.journey.id

    def node(self, step_id: str | None) -> Node | None:
        return self.nodes.get(step_id) if step_id is not None else None


def compile_plan(journey: Journey) -> Plan:
    """Ids and successors of every step (an `if`'s branches end where the `if` would)."""
    ids = {id(step): sid for sid, step, _ in walk(journey.steps)}
    order = [sid for sid, _, _ in walk(journey.steps)]
    nodes: dict[str, Node] = {}

    def link(items: list[Step], after: str | None) -> None:
        for i, step in enumerate(items):
            following = ids[id(items[i + 1])] if i + 1 < len(items) else after
            sid = ids[id(step)]
            nodes[sid] = Node(
                id=sid,
                index=order.index(sid),
                step=step,
                next=following,
                then=ids[id(step.then[0])] if step.then else None,
                otherwise=ids[id(step.else_[0])] if step.else_ else None,
            )
            link(step.then, following)
            link(step.else_, following)

    link(journey.steps, None)
    ordered = dict(sorted(nodes.items(), key=lambda kv: kv[1].index))
    return Plan(journey=journey, nodes=ordered, first=order[0])


def in_holdout(journey_id: str, member_id: int, percent: int) -> bool:
    """The control group: the same member always lands on the same side of the same journey
    (a hash of both ids, not a random draw), and about `percent` % of members do."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"journey:{journey_id}:member:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < percent * 100


def wait_until(node: Node, now: datetime) -> datetime:
    """When a `wait` step lets the member go on: after its duration, or at the next moment
    its time of day comes round in Vietnam."""
    wait = node.step.wait
    if isinstance(wait, Wait):
        local = now.astimezone(VN)
        at = wait.at()
        target = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
        if target <= local:
            target += timedelta(days=1)
        return target.astimezone(now.tzinfo)
    assert isinstance(wait, str)
    return now + parse_duration(wait)
