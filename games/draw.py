"""The prize draw: which outcome a play gets, decided on the server before anything is shown.

Pure and deterministic given the RNG: the caller decides which prizes still have stock and
daily room (it holds the database), passes that in as `available`, and injects the RNG
(`secrets.SystemRandom()` in production, `random.Random(seed)` in tests). A prize that is not
available gives its weight to the no-prize outcome, so the chance of the other prizes never
grows when one sells out; that is the "remaining prize structure" promotion rules describe.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from games.config import Game, Prize
from games.quiz import threshold_for

Availability = Mapping[str, bool] | AbstractSet[str]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one draw, as written to the audit log.

    `slice_index` is the prize's position in config order (its wheel slice). `roll` is the
    uniform number in [0, 1) the RNG produced; the pick point is `roll * total_weight` walked
    across the effective weights in config order, so a logged roll can be replayed. It is
    None when nothing random happened (quiz prizes follow the score).
    """

    prize_id: str
    is_win: bool
    slice_index: int
    roll: float | None


def is_available(prize: Prize, available: Availability) -> bool:
    """No-prize outcomes never run out; any other prize only when the caller says so.

    A prize missing from a mapping counts as unavailable: the caller must vouch for stock.
    """
    if prize.is_no_prize:
        return True
    if isinstance(available, Mapping):
        return bool(available.get(prize.id, False))
    return prize.id in available


def effective_weights(game: Game, available: Availability) -> list[float]:
    """Weights in config order after sold-out prizes hand theirs to the no-prize outcome."""
    weights = [p.weight if is_available(p, available) else 0.0 for p in game.prizes]
    moved = sum(p.weight for p in game.prizes) - sum(weights)
    weights[_index(game, game.no_prize.id)] += moved
    return weights


def win_chances(game: Game, available: Availability) -> dict[str, float]:
    """Probability of each prize right now: for the public rules page and for tests."""
    weights = effective_weights(game, available)
    total = sum(weights)
    return {p.id: (w / total if total else 0.0) for p, w in zip(game.prizes, weights, strict=True)}


def pick_index(weights: Sequence[float], roll: float) -> int:
    """Walk the cumulative weights to the point `roll * total`; zero weights are never hit."""
    total = sum(weights)
    if total <= 0:
        raise ValueError("the weights add up to 0: nothing can be drawn")
    point = roll * total
    last = -1
    acc = 0.0
    for i, w in enumerate(weights):
        if w <= 0:
            continue
        last = i
        acc += w
        if point < acc:
            return i
    return last  # float rounding at the very top end


def draw(game: Game, rng: random.Random, available: Availability) -> Outcome:
    """Draw one outcome among the prizes still available."""
    roll = rng.random()
    index = pick_index(effective_weights(game, available), roll)
    prize = game.prizes[index]
    return Outcome(prize.id, not prize.is_no_prize, index, roll)


def draw_quiz_prize(game: Game, score: int, available: Availability) -> Outcome:
    """The prize for a quiz score: the highest threshold reached, or no prize.

    A sold-out threshold prize gives no prize rather than a lower one, so the published score
    table is never silently rewritten.
    """
    threshold = threshold_for(game, score)
    prize = game.no_prize
    if threshold is not None:
        candidate = game.prize(threshold.prize)
        if is_available(candidate, available):
            prize = candidate
    return Outcome(prize.id, not prize.is_no_prize, _index(game, prize.id), None)


def outcome_for(game: Game, prize_id: str, roll: float | None = None) -> Outcome:
    """Rebuild an Outcome from a stored prize id (e.g. when an idempotent play is replayed)."""
    index = _index(game, prize_id)
    return Outcome(prize_id, not game.prizes[index].is_no_prize, index, roll)


def _index(game: Game, prize_id: str) -> int:
    for i, p in enumerate(game.prizes):
        if p.id == prize_id:
            return i
    raise KeyError(f"game {game.id!r} has no prize {prize_id!r}")
