"""Narrow errors of the shared `games/` and `loyalty/` schemas to the exact key.

Their validators raise on a whole game or the whole loyalty section ("prize ids must be
unique"); looking at the data finds the duplicate prize id or the tier that is out of order,
so the admin gets the right line. Unrecognised messages keep the section's location.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.content.errors import Loc

Hint = tuple[Loc, str, str]  # (where, what is wrong, how to fix)


Refiner = Callable[[Loc, Any, re.Match[str]], Hint | None]


def _list(raw: Any, key: str) -> list[Any]:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    return value if isinstance(value, list) else []


def _field(items: list[Any], key: str) -> list[Any]:
    return [i.get(key) if isinstance(i, Mapping) else None for i in items]


def _duplicate(values: list[Any]) -> int | None:
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            return i
        seen.add(v)
    return None


def _dup_prize(loc: Loc, raw: Any, m: re.Match[str]) -> Hint | None:
    ids = _field(_list(raw, "prizes"), "id")
    j = _duplicate(ids)
    if j is None:
        return None
    return (
        (*loc, "prizes", j, "id"),
        f"prize id {ids[j]!r} is used twice",
        "give each prize its own id",
    )


def _threshold(loc: Loc, raw: Any, m: re.Match[str]) -> Hint | None:
    name = m.group(1)
    quiz = raw.get("quiz") if isinstance(raw, Mapping) else None
    prizes = _field(_list(quiz, "thresholds"), "prize")
    if name not in prizes:
        return None
    ids = ", ".join(str(i) for i in _field(_list(raw, "prizes"), "id"))
    return (
        (*loc, "quiz", "thresholds", prizes.index(name), "prize"),
        f"prize {name!r} is not a prize of this game",
        f"use one of the game's prize ids: {ids}",
    )


def _tier_order(loc: Loc, raw: Any, m: re.Match[str]) -> Hint | None:
    tiers = _list(raw, "tiers")
    mins, names = _field(tiers, "min_points"), _field(tiers, "name")
    for j in range(1, len(mins)):
        if mins[j] <= mins[j - 1]:
            return (
                (*loc, "tiers", j, "min_points"),
                f"tier {names[j]!r} ({mins[j]} points) is not above "
                f"{names[j - 1]!r} ({mins[j - 1]} points)",
                "list tiers from the lowest to the highest min_points, each higher than the last",
            )
    return None


def _dup_tier(loc: Loc, raw: Any, m: re.Match[str]) -> Hint | None:
    names = _field(_list(raw, "tiers"), "name")
    j = _duplicate(names)
    if j is None:
        return None
    return (*loc, "tiers", j, "name"), f"tier name {names[j]!r} is used twice", "rename one"


def _at(key: tuple[str | int, ...], message: str, fix: str) -> Refiner:
    return lambda loc, raw, m: ((*loc, *key), message.format(*m.groups()), fix.format(*m.groups()))


REFINERS: list[tuple[str, Refiner]] = [
    (r"prize ids must be unique", _dup_prize),
    (r"threshold prize '(.+)' is not one of", _threshold),
    (r"tiers must be listed in increasing", _tier_order),
    (r"tier names must be unique", _dup_tier),
    (
        r"needs one prize with stock: null",
        _at(
            ("prizes",),
            "no prize has stock: null (the no-prize outcome)",
            "add a prize with stock: null, e.g. the 'better luck next time' slice",
        ),
    ),
    (
        r"weights must add up",
        _at(("prizes",), "all prize weights are 0", "give at least one prize a weight above 0"),
    ),
    (
        r"a quiz game needs",
        _at(("type",), "type: quiz needs a quiz: section", "add quiz: with questions:"),
    ),
    (r"end must be after start", _at(("end",), "end is not after start", "set end: later")),
    (
        r"correct=(\d+) but there are (\d+) options",
        _at(
            ("correct",),
            "correct: {0} but there are only {1} options",
            "options count from 0: the first option is correct: 0",
        ),
    ),
    (
        r"questions_per_play=(\d+) but the bank has (\d+)",
        _at(
            ("questions_per_play",),
            "questions_per_play is {0} but there are only {1} questions",
            "lower questions_per_play or add questions",
        ),
    ),
    (
        r"the first tier must have min_points: 0",
        _at(
            ("tiers", 0, "min_points"),
            "the first tier does not start at 0 points",
            "set min_points: 0 on the first tier (every member starts there)",
        ),
    ),
    (
        r"percent voucher's value must be at most 100",
        _at(("value",), "a percent voucher above 100%", "write a percent from 1 to 100"),
    ),
    (
        r"mode: yearly needs date",
        _at(("mode",), "mode: yearly needs a date", 'add date: "MM-DD", e.g. date: "01-01"'),
    ),
]
