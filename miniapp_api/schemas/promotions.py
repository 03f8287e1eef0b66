"""Models of the promotion and report routes (`/api/v1/admin/promotions/…`, `/reports/…`).

Names in `LedgerOut`, `CohortsOut` are fixed by shared/CONTRACT.md; additions are listed in
the README (Promotions and reports)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from miniapp_api.schemas.requests import In
from miniapp_api.schemas.responses import Out


class ExportQuery(In):
    format: Literal["csv", "xlsx"] = Field("csv", description="csv (UTF-8 with BOM) or xlsx")


class CohortQuery(In):
    by: Literal["first_order", "joined"] = "first_order"
    source: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="only members who first came this way (zalo_follow, import, qr:<ref>, …)",
    )


class LedgerPrizeOut(Out):
    id: str
    label: str
    unit_value: int = Field(description="announced value of one unit, VND")
    announced: int
    awarded: int
    unawarded: int


class RegistrationOut(Out):
    threshold: int = Field(description="content `promotions.registration_threshold`, VND")
    announced_value: int
    required: bool = Field(description="the announced value reaches the threshold")
    warning: str | None


class LedgerOut(Out):
    game_id: str
    prizes: list[LedgerPrizeOut]
    announced_value: int
    awarded_value: int
    unawarded_value: int
    state_budget_due: int | None = Field(
        description="50 % of unawarded_value (rounded up) once the campaign has ended, else null"
    )
    ended: bool
    end: datetime | None
    registration: RegistrationOut


class BrokenOut(Out):
    seq: int | None
    draw_log_id: int | None
    play_id: int | None
    reason: str


class ChainOut(Out):
    game_id: str
    ok: bool
    draws: int = Field(description="entries checked and sound")
    head: str = Field(description="the last sound entry's hash")
    broken: BrokenOut | None


class MonthOut(Out):
    offset: int
    active: int
    orders: int
    revenue: int


class CohortOut(Out):
    cohort: str = Field(description="YYYY-MM, Vietnam time")
    members: int
    months: list[MonthOut]


class CohortsOut(Out):
    by: Literal["first_order", "joined"]
    rows: list[CohortOut]


class GamePrizeOut(Out):
    id: str
    label: str
    wins: int
    vouchers_redeemed: int
    stock_left: int | None


class GameReportOut(Out):
    game_id: str
    plays: int
    players: int
    wins: int
    prizes: list[GamePrizeOut]
    vouchers_redeemed: int
    after_days: int
    buyers_after: int
    orders_after: int
    revenue_after: int


class RfmCellOut(Out):
    r: int
    f: int
    members: int
    revenue: int


class RfmGridOut(Out):
    cells: list[RfmCellOut]
    refreshed_at: datetime | None


class CampaignQuery(In):
    days: int = Field(7, ge=1, le=90, description="a broadcast's conversion window, days")


class BroadcastResultOut(Out):
    id: int
    name: str
    status: str
    purpose: str
    sent: int
    converted: int = Field(description="recipients with a paid order within `days` of the send")
    revenue: int = Field(description="those orders' amount, VND")
    conversion_rate: float | None


class HoldoutResultOut(Out):
    members: int
    converted: int
    revenue: int
    conversion_rate: float | None


class JourneyResultOut(Out):
    id: str
    name: str
    enrolled: int
    sent: int
    converted: int = Field(description="entries with a paid order within `conversion_days`")
    revenue: int
    conversion_rate: float | None
    holdout: HoldoutResultOut
    uplift: float | None = Field(
        description="conversion_rate − holdout.conversion_rate (None without both)"
    )


class CampaignsOut(Out):
    days: int
    broadcasts: list[BroadcastResultOut]
    journeys: list[JourneyResultOut]
