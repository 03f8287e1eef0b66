"""The promotion ledger against a played-out campaign whose wins are known in advance."""

from __future__ import annotations

import random
from datetime import timedelta

from games.config import Game
from games.draw import Outcome, outcome_for
from loyalty import plays
from loyalty.promotions.ledger import ledger
from loyalty.promotions.registration import registration, warnings
from loyalty.stock import sync_prize_stock
from tests.loyalty.conftest import new_member, vn

START = vn(2025, 3, 1, 8)
END = vn(2025, 3, 31, 22)


def campaign() -> Game:
    """A cup (no voucher, value 35,000), a 20K voucher and a percent voucher (value 5,000)."""
    return Game.model_validate(
        {
            "id": "tet", "type": "wheel", "title": "Tết", "plays_per_day": 10,
            "start": START.isoformat(), "end": END.isoformat(),
            "prizes": [
                {"id": "cup", "label": "Ly sứ", "weight": 1000, "stock": 3, "value": 35_000},
                {"id": "v20k", "label": "Voucher 20K", "weight": 1, "stock": 4,
                 "voucher": {"value": 20_000, "valid_days": 30}},
                {"id": "pct", "label": "Giảm 10%", "weight": 0, "stock": 5, "value": 5_000,
                 "voucher": {"value": 10, "kind": "percent", "valid_days": 30}},
                {"id": "none", "label": "Chúc may mắn", "weight": 0, "stock": None},
            ],
        }
    )  # fmt: skip


async def test_the_ledger_of_a_played_out_campaign(db: str) -> None:
    game = campaign()
    await sync_prize_stock([game])
    member = await new_member("ledger")
    at = vn(2025, 3, 2, 10)
    script = iter(["cup", "v20k", "cup", "cup", "v20k", "cup"])  # the 4th cup is sold out

    def drawer(g: Game, rng: random.Random, available: set[str]) -> Outcome:
        return outcome_for(g, next(script), 0.5)

    results = [
        await plays.play(
            member, game, idempotency_key=f"k{i}", rng=random.Random(i), now=at + timedelta(i),
            drawer=drawer,
        )
        for i in range(6)
    ]  # fmt: skip
    assert [r.prize_id for r in results] == ["cup", "v20k", "cup", "cup", "v20k", "none"]

    running = await ledger(game, now=vn(2025, 3, 20), threshold=100_000_000)
    lines = {p.id: (p.unit_value, p.announced, p.awarded, p.unawarded) for p in running.prizes}
    assert lines == {
        "cup": (35_000, 3, 3, 0),
        "v20k": (20_000, 4, 2, 2),
        "pct": (5_000, 5, 0, 5),
    }
    assert running.announced_value == 3 * 35_000 + 4 * 20_000 + 5 * 5_000 == 210_000
    assert running.awarded_value == 3 * 35_000 + 2 * 20_000 == 145_000
    assert running.unawarded_value == 2 * 20_000 + 5 * 5_000 == 65_000
    assert running.ended is False and running.state_budget_due is None

    ended = await ledger(game, now=END, threshold=100_000_000)
    assert ended.ended is True
    assert ended.state_budget_due == 32_500  # 50 % of 65,000
    assert ended.registration.required is False


def test_half_of_an_odd_amount_is_rounded_up() -> None:
    from loyalty.promotions.ledger import Ledger, PrizeLine

    line = PrizeLine("x", "x", unit_value=3, announced=1, awarded=0)
    assert Ledger("g", [line], True, registration(campaign(), 1)).state_budget_due == 2


def test_registration_threshold() -> None:
    game = campaign()
    assert registration(game, 210_000).required
    assert not registration(game, 210_001).required
    lines = warnings([game], 200_000)
    assert len(lines) == 1 and "210.000 VND" in lines[0] and "tet" in lines[0]
    assert warnings([game], 100_000_000) == []
