"""The content file's `promotions:` section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Decree 81/2018/ND-CP art. 17 as recalled (unverified): a chance promotion whose prizes are
# worth less than this in total need not be registered. Counsel should confirm it.
REGISTRATION_THRESHOLD_VND = 100_000_000


class PromotionsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    registration_threshold: int = Field(
        default=REGISTRATION_THRESHOLD_VND,
        ge=0,
        description="total announced prize value (VND) from which a campaign is registered",
    )
