"""Typed loyalty rules as the admin writes them in the content file (`loyalty:`, `rewards:`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from games.config import VoucherSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Strict):
    """A membership tier, reached on points *earned* (not the spendable balance)."""

    name: str = Field(min_length=1, max_length=32)
    min_points: int = Field(ge=0)
    reward: VoucherSpec | None = None  # issued once when the member first reaches the tier
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class TierPolicy(_Strict):
    """When tiers are re-evaluated (downgrades): never, yearly on a date, or rolling 12 months."""

    mode: Literal["none", "yearly", "rolling_12_months"] = "none"
    date: str | None = Field(default=None, pattern=r"^\d{2}-\d{2}$", description="MM-DD")

    @model_validator(mode="after")
    def _date_for_yearly(self) -> TierPolicy:
        if self.mode == "yearly" and not self.date:
            raise ValueError("mode: yearly needs date: MM-DD")
        return self


class LoyaltyConfig(_Strict):
    vnd_per_point: int = Field(10_000, gt=0)
    tiers: list[Tier] = Field(min_length=1)
    tier_policy: TierPolicy = TierPolicy()
    points_expire_days: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _tiers_ordered(self) -> LoyaltyConfig:
        mins = [t.min_points for t in self.tiers]
        if mins[0] != 0:
            raise ValueError("the first tier must have min_points: 0")
        if mins != sorted(mins) or len(set(mins)) != len(mins):
            raise ValueError("tiers must be listed in increasing, distinct min_points")
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        return self

    def tier_for(self, points_earned: int) -> Tier:
        current = self.tiers[0]
        for tier in self.tiers:
            if points_earned >= tier.min_points:
                current = tier
        return current

    def next_tier(self, points_earned: int) -> Tier | None:
        return next((t for t in self.tiers if t.min_points > points_earned), None)


class PhoneCaptureReward(_Strict):
    voucher: VoucherSpec


class RewardsConfig(_Strict):
    phone_capture: PhoneCaptureReward | None = None
