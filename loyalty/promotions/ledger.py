"""The promotion ledger of one campaign: prizes announced, awarded, unawarded, and what is due.

Announced units and values come from the content file (`stock`, `value` or the amount
voucher's value); awarded units from the `award` rows the plays wrote (one per won unit, in
the play's transaction with the stock claim). Once the campaign has ended, 50 % of the
announced value of the units not awarded is due to the state budget (Commercial Law 2005
art. 96(4)); before the end, or for a campaign without an `end`, nothing is due yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from games.config import Game
from loyalty.clock import aware
from loyalty.promotions.registration import Registration, registration
from loyalty.rawsql import fetch

STATE_BUDGET_SHARE = (1, 2)  # 50 %, rounded up to the next đồng


@dataclass(frozen=True, slots=True)
class PrizeLine:
    id: str
    label: str
    unit_value: int
    announced: int
    awarded: int

    @property
    def unawarded(self) -> int:
        return max(0, self.announced - self.awarded)


@dataclass(frozen=True, slots=True)
class Ledger:
    game_id: str
    prizes: list[PrizeLine]
    ended: bool
    registration: Registration

    @property
    def announced_value(self) -> int:
        return sum(p.announced * p.unit_value for p in self.prizes)

    @property
    def awarded_value(self) -> int:
        return sum(min(p.awarded, p.announced) * p.unit_value for p in self.prizes)

    @property
    def unawarded_value(self) -> int:
        return sum(p.unawarded * p.unit_value for p in self.prizes)

    @property
    def state_budget_due(self) -> int | None:
        """50 % of the unawarded value once ended (None: still running or no end set)."""
        if not self.ended:
            return None
        num, den = STATE_BUDGET_SHARE
        return -(-self.unawarded_value * num // den)


def has_ended(game: Game, now: datetime) -> bool:
    return game.end is not None and now >= aware(game.end)


async def awarded_units(game_id: str) -> dict[str, int]:
    """prize id -> units won in this campaign (one query on the award index)."""
    rows = await fetch(
        "SELECT prize_id, COUNT(*) AS n FROM award WHERE game_id = ? GROUP BY prize_id", game_id
    )
    return {r["prize_id"]: int(r["n"]) for r in rows}


async def ledger(game: Game, *, now: datetime, threshold: int) -> Ledger:
    won = await awarded_units(game.id)
    lines = [
        PrizeLine(
            id=p.id,
            label=p.label,
            unit_value=p.unit_value or 0,
            announced=p.stock or 0,
            awarded=won.get(p.id, 0),
        )
        for p in game.prizes
        if not p.is_no_prize
    ]
    return Ledger(game.id, lines, has_ended(game, now), registration(game, threshold))
