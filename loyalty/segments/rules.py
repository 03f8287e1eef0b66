"""Custom segment rules as the admin writes them under `segments:`, and the RFM window.

Every key of a rule narrows the segment (they are ANDed). Unknown keys are errors that name
the known ones, so a typo never silently selects everybody.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SEGMENT_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
Stage = Literal["A", "I", "P", "L"]
Channel = Literal["zalo", "messenger", "miniapp"]
Tag = Annotated[str, Field(min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """Inclusive bounds; either may be left out."""

    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give min:, max: or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be more than max")
        return self


class TagRule(_Strict):
    any: list[Tag] = Field(default_factory=list, description="has at least one of these")
    all: list[Tag] = Field(default_factory=list, description="has every one of these")
    none: list[Tag] = Field(default_factory=list, description="has none of these")

    @model_validator(mode="after")
    def _something(self) -> TagRule:
        if not (self.any or self.all or self.none):
            raise ValueError("give any:, all: or none: with a list of tags")
        return self


class SegmentRule(_Strict):
    """Conditions on a member; all of them must hold. Orders and spend are lifetime, paid
    (refunded and cancelled orders do not count)."""

    min_orders: int | None = Field(None, ge=0)
    max_orders: int | None = Field(None, ge=0)
    min_spend: int | None = Field(None, ge=0, description="VND")
    max_spend: int | None = Field(None, ge=0, description="VND")
    last_order_days: Range | None = Field(None, description="days since the last paid order")
    tier: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = None
    tags: TagRule | None = None
    channel: list[Channel] | None = Field(None, description="reachable on any of these")
    has_phone: bool | None = None
    source: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = None
    birthday_month: list[Annotated[int, Field(ge=1, le=12)]] | Literal["current"] | None = None
    joined_days: Range | None = Field(None, description="days since joining")
    stage: list[Stage] | None = Field(None, description="AIPL stages: A, I, P, L")
    rfm: list[str] | None = Field(None, description="built-in RFM segment ids")

    @model_validator(mode="after")
    def _consistent(self) -> SegmentRule:
        from loyalty.segments.builtin import RFM_IDS

        for low, high in (("min_orders", "max_orders"), ("min_spend", "max_spend")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{low} must not be more than {high}")
        for name in self.rfm or ():
            if name not in RFM_IDS:
                raise ValueError(f"rfm: {name!r} is not an RFM segment ({', '.join(RFM_IDS)})")
        if not self.model_fields_set:
            raise ValueError("an empty rule selects everybody: use the built-in segment all")
        return self


class SegmentDef(_Strict):
    """A custom segment: an id (used by broadcasts), a name for the console, a rule."""

    id: Annotated[str, Field(pattern=SEGMENT_ID)]
    name: Annotated[str, Field(min_length=1, max_length=128)]
    rule: SegmentRule


class RfmConfig(_Strict):
    """`rfm:` in the content file: the window F and M are counted over (R is not windowed)."""

    window_days: int = Field(365, ge=7, le=3650)


RULE_KEYS = tuple(SegmentRule.model_fields)


@dataclass(frozen=True, slots=True)
class SegmentSpec:
    """Everything a refresh needs from the content file, passed in by the caller."""

    window_days: int = 365
    first_tier: str = ""
    custom: tuple[SegmentDef, ...] = field(default_factory=tuple)

    def names(self) -> dict[str, str]:
        from loyalty.segments.builtin import BUILTIN_NAMES

        return {**BUILTIN_NAMES, **{s.id: s.name for s in self.custom}}
