"""Helpers for the loyalty tests: small game and loyalty configs built in code, VN times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from games.config import Game
from loyalty import members
from loyalty.clock import VN_TZ
from loyalty.config import LoyaltyConfig
from loyalty.models import Member


def vn(y: int, m: int, d: int, hh: int = 12, mm: int = 0, ss: int = 0) -> datetime:
    """A Vietnam wall-clock time, as the UTC instant the services receive."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=VN_TZ).astimezone(UTC)


def make_game(**overrides: Any) -> Game:
    """A wheel whose only real prize always wins while it has stock (weight 1 vs 0)."""
    data: dict[str, Any] = {
        "id": "wheel",
        "type": "wheel",
        "title": "Wheel",
        "plays_per_day": 1,
        "prizes": [
            {
                "id": "v50k",
                "label": "Voucher 50K",
                "weight": 1,
                "stock": 10,
                "voucher": {"value": 50_000, "valid_days": 30},
            },
            {"id": "none", "label": "No luck", "weight": 0, "stock": None},
        ],
    }
    data.update(overrides)
    return Game.model_validate(data)


def make_quiz(**overrides: Any) -> Game:
    data: dict[str, Any] = {
        "id": "quiz",
        "type": "quiz",
        "title": "Quiz",
        "plays_per_day": 1,
        "prizes": [
            {
                "id": "v20k",
                "label": "Voucher 20K",
                "weight": 0,
                "stock": 5,
                "voucher": {"value": 20_000, "valid_days": 7},
            },
            {"id": "none", "label": "No luck", "weight": 0, "stock": None},
        ],
        "quiz": {
            "questions": [
                {"question": f"Q{i}?", "options": ["a", "b", "c"], "correct": i % 3}
                for i in range(5)
            ],
            "questions_per_play": 3,
            "seconds_per_question": 20,
            "thresholds": [{"min_score": 2, "prize": "v20k"}],
        },
    }
    data.update(overrides)
    return Game.model_validate(data)


@pytest.fixture
def loyalty_config() -> LoyaltyConfig:
    return LoyaltyConfig.model_validate(
        {
            "vnd_per_point": 10_000,
            "tiers": [
                {"name": "Member", "min_points": 0},
                {
                    "name": "Silver",
                    "min_points": 500,
                    "reward": {"value": 50_000, "valid_days": 30, "title": "Silver gift"},
                },
                {
                    "name": "Gold",
                    "min_points": 1000,
                    "reward": {"value": 100_000, "valid_days": 30},
                },
                {"name": "Platinum", "min_points": 2000},
            ],
        }
    )


async def new_member(n: int | str = 1) -> Member:
    return await members.get_or_create_by_identity("zalo_oa", f"user-{n}")
