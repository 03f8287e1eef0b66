"""The `journeys:` section: automated series (welcome, win-back, birthday) as typed data.

A journey is a trigger (an event, or a time condition checked on every scheduler tick), an
optional audience segment, a list of steps (`send`, `wait`, `if` with `then`/`else`,
`points`, `tag`, `voucher`), exits, a re-entry policy, a control group (`holdout_percent`)
and a conversion window. The engine lives in `bot.journeys`; this module only says what the
admin may write, so `config check` finds a typo before a customer does.

Step ids: members in the middle of a journey continue by step id when the file is edited
(README "Journeys"). A step without `id:` gets one from its place (`2`, `3.then.1`), so
give `id:` to the steps you may move or insert others before.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.content.errors import invalid
from bot.content.templating import check_template
from games.config import SLUG, VoucherSpec

TEXT_MAX = 2000
PLACEHOLDERS = frozenset({"name", "shop", "points", "tier"})
VOUCHER_PLACEHOLDERS = frozenset({"voucher_code", "voucher_value", "expires_at"})
EVENTS = (
    "follow",
    "phone_shared",
    "first_order",
    "order",
    "tier_up",
    "birthday",
    "voucher_expiring",
    "joined_segment",
)
EXITS = ("order", "opt_out", "left_segment")
_DURATION = re.compile(r"^(\d{1,5})(s|m|h|d)$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
StepId = Annotated[str, Field(pattern=SLUG)]
Tag = Annotated[str, Field(min_length=1, max_length=64)]


def parse_duration(value: str) -> timedelta:
    """`10s`, `30m`, `2h`, `3d` → a timedelta (ValueError otherwise)."""
    found = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if not found:
        raise ValueError(value)
    return timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])


def _duration(value: Any) -> str:
    try:
        parse_duration(value)
    except (ValueError, AttributeError):
        raise invalid(
            f"{value!r} is not a duration",
            "write a number and a unit: 10s, 30m, 2h or 3d",
        ) from None
    return str(value)


Duration = Annotated[str, Field(min_length=2, max_length=8)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Trigger(_Strict):
    """Exactly one of: `event` (with `days_before` for birthday/voucher_expiring, `segment`
    for joined_segment), `days_since_last_order`, `days_since_follow_without_order`."""

    event: Literal[EVENTS] | None = None  # type: ignore[valid-type]
    days_before: int | None = Field(None, ge=0, le=60)
    segment: Annotated[str, Field(pattern=SLUG)] | None = None
    days_since_last_order: int | None = Field(None, ge=1, le=3650)
    days_since_follow_without_order: int | None = Field(None, ge=0, le=3650)

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        kinds = [
            k
            for k in ("event", "days_since_last_order", "days_since_follow_without_order")
            if getattr(self, k) is not None
        ]
        if len(kinds) != 1:
            raise invalid(
                "a trigger needs exactly one of event:, days_since_last_order:,"
                " days_since_follow_without_order:",
                "e.g. trigger: {event: follow} or trigger: {days_since_last_order: 7}",
            )
        if self.days_before is not None and self.event not in ("birthday", "voucher_expiring"):
            raise invalid(
                "days_before: only goes with event: birthday or voucher_expiring",
                "remove days_before:",
            )
        if (self.segment is not None) != (self.event == "joined_segment"):
            raise invalid(
                "event: joined_segment needs segment: (and only it takes one)",
                "write trigger: {event: joined_segment, segment: regulars}",
            )
        return self

    @property
    def kind(self) -> str:
        """The event name, or the time condition's key."""
        if self.event is not None:
            return str(self.event)
        if self.days_since_last_order is not None:
            return "days_since_last_order"
        return "days_since_follow_without_order"


class Send(_Strict):
    """A message; with the step's `voucher:`, its text may show `{voucher_code}`."""

    text: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
    purpose: Literal["promotion", "update"]
    zns_template: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,40}$")] | None = None


class Wait(_Strict):
    """`until: "09:00"`: the next time it is 09:00 in Vietnam."""

    until: str

    @field_validator("until")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise invalid(f"until {value!r} is not HH:MM", 'write e.g. until: "09:00"')
        return value

    def at(self) -> time:
        hour, minute = value_hm(self.until)
        return time(hour, minute)


def value_hm(value: str) -> tuple[int, int]:
    h, m = value.split(":")
    return int(h), int(m)


class Condition(_Strict):
    """Exactly one test: ordered since entering, in a segment, a tier, a tag."""

    ordered_since_entry: bool | None = None
    in_segment: Annotated[str, Field(pattern=SLUG)] | None = None
    tier: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    tag: Tag | None = None

    @model_validator(mode="after")
    def _one(self) -> Condition:
        if sum(v is not None for v in self.model_dump().values()) != 1:
            raise invalid(
                "an if: needs exactly one of ordered_since_entry:, in_segment:, tier:, tag:",
                "e.g. if: {ordered_since_entry: true}",
            )
        return self


class Points(_Strict):
    add: int = Field(gt=0, le=1_000_000)
    reason: Annotated[str, Field(min_length=1, max_length=200)]


class TagChange(_Strict):
    add: list[Tag] = Field(default_factory=list)
    remove: list[Tag] = Field(default_factory=list)

    @field_validator("add", "remove", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _some(self) -> TagChange:
        if not self.add and not self.remove:
            raise invalid("tag: changes nothing", "write tag: {add: vip} or {remove: vip}")
        return self


STEP_KINDS = ("send", "wait", "if", "points", "tag", "voucher")


class Step(_Strict):
    """One step: exactly one of send (with an optional voucher), wait, if (with then/else),
    points, tag, voucher (issued without a message)."""

    id: StepId | None = None
    send: Send | None = None
    voucher: VoucherSpec | None = None
    wait: Duration | Wait | None = None
    if_: Condition | None = Field(None, alias="if")
    then: list[Step] = Field(default_factory=list, max_length=50)
    else_: list[Step] = Field(default_factory=list, alias="else", max_length=50)
    points: Points | None = None
    tag: TagChange | None = None

    @field_validator("wait", mode="before")
    @classmethod
    def _wait(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _duration(value)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in ("send", "wait", "if_", "points", "tag") if getattr(self, k)]
        if not kinds and self.voucher is None:
            raise invalid(
                "a step needs one of send:, wait:, if:, points:, tag:, voucher:",
                "e.g. - wait: 3d",
            )
        if len(kinds) > 1 or (self.voucher is not None and kinds and kinds != ["send"]):
            names = ", ".join(k.rstrip("_") + ":" for k in kinds)
            raise invalid(
                f"one step has {names}" + (" voucher:" if self.voucher else ""),
                "write each on its own `- ` line (only send: may carry a voucher:)",
            )
        if (self.then or self.else_) and self.if_ is None:
            raise invalid("then:/else: only go under an if:", "add if: or remove then:/else:")
        return self

    @property
    def kind(self) -> str:
        if self.send is not None:
            return "send"
        if self.wait is not None:
            return "wait"
        if self.if_ is not None:
            return "if"
        if self.points is not None:
            return "points"
        if self.tag is not None:
            return "tag"
        return "voucher"


class Every(_Strict):
    every: Duration

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> Any:
        return _duration(value)


class Journey(_Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    trigger: Trigger
    audience: Annotated[str, Field(pattern=SLUG)] | None = None  # must hold at entry
    steps: list[Step] = Field(min_length=1, max_length=100)
    exit_on: list[Literal[EXITS]] = Field(default_factory=list)  # type: ignore[valid-type]
    reentry: Literal["once"] | Every = "once"
    holdout_percent: int = Field(0, ge=0, le=50)
    conversion_days: int = Field(7, ge=1, le=90)

    @model_validator(mode="after")
    def _texts(self) -> Journey:
        """Voucher placeholders need the step's `voucher:` (or a voucher_expiring trigger,
        whose voucher they then show)."""
        by_trigger = self.trigger.event == "voucher_expiring"
        for _, step, loc in walk(self.steps):
            if step.send is None:
                continue
            gives = step.voucher is not None or by_trigger
            allowed = PLACEHOLDERS | (VOUCHER_PLACEHOLDERS if gives else frozenset())
            problem = check_template(step.send.text, allowed)
            if problem:
                message, fix = problem
                if not gives and any(v in message for v in VOUCHER_PLACEHOLDERS):
                    fix = "add voucher: {value: 20000, valid_days: 7} to this step"
                raise invalid(message, fix, at=(*loc, "send", "text"))
        return self

    @model_validator(mode="after")
    def _exits(self) -> Journey:
        if "left_segment" in self.exit_on and self.audience is None:
            raise invalid(
                "exit_on: left_segment needs an audience: segment",
                "add audience: <segment id> or remove left_segment",
                at=("exit_on",),
            )
        return self

    def reentry_after(self) -> timedelta | None:
        """None: once ever; else the time after an entry before the member may enter again."""
        if isinstance(self.reentry, Every):
            return parse_duration(self.reentry.every)
        return None


def walk(steps: list[Step], prefix: str = "") -> list[tuple[str, Step, tuple[str | int, ...]]]:
    """Every step in order (an if's then, then its else, right after it), with its id
    (explicit, or derived from its place) and its location under `steps`."""
    out: list[tuple[str, Step, tuple[str | int, ...]]] = []

    def visit(items: list[Step], base: str, loc: tuple[str | int, ...]) -> None:
        for i, step in enumerate(items):
            sid = step.id or f"{base}{i + 1}"
            out.append((sid, step, (*loc, i)))
            visit(step.then, f"{sid}.then.", (*loc, i, "then"))
            visit(step.else_, f"{sid}.else.", (*loc, i, "else"))

    visit(steps, prefix, ("steps",))
    return out


def journey_problems(
    journeys: list[Journey], segments: set[str], tiers: set[str], zns: set[str]
) -> list[tuple[tuple[str | int, ...], str, str]]:
    """Cross-references: unique ids, known segments, tiers and ZBS templates."""
    issues: list[tuple[tuple[str | int, ...], str, str]] = []
    seen: set[str] = set()
    known = ", ".join(sorted(segments))
    for j, journey in enumerate(journeys):
        at: tuple[str | int, ...] = ("journeys", j)
        if journey.id in seen:
            issues.append(
                ((*at, "id"), f"journey id {journey.id!r} is used twice", "give each its own id")
            )
        seen.add(journey.id)
        for key, value in (
            ("audience", journey.audience),
            ("trigger", journey.trigger.segment),
        ):
            if value is not None and value not in segments:
                issues.append(((*at, key), f"unknown segment {value!r}", f"use one of {known}"))
        ids: set[str] = set()
        for sid, step, loc in walk(journey.steps):
            if sid in ids:
                issues.append(
                    ((*at, *loc, "id"), f"step id {sid!r} is used twice", "give each its own id")
                )
            ids.add(sid)
            cond = step.if_
            if cond is not None and cond.in_segment and cond.in_segment not in segments:
                issues.append(
                    (
                        (*at, *loc, "if", "in_segment"),
                        f"unknown segment {cond.in_segment!r}",
                        f"use one of {known}",
                    )
                )
            if cond is not None and cond.tier and cond.tier not in tiers:
                issues.append(
                    (
                        (*at, *loc, "if", "tier"),
                        f"unknown tier {cond.tier!r}",
                        "use one of " + ", ".join(sorted(tiers)),
                    )
                )
            if step.send and step.send.zns_template and step.send.zns_template not in zns:
                issues.append(
                    (
                        (*at, *loc, "send", "zns_template"),
                        f"{step.send.zns_template!r} is not in zns.templates",
                        "map it under zns: templates: first",
                    )
                )
    return issues
