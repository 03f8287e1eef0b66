"""Response models of `/api/v1`. Card, session and play field names are fixed by
shared/CONTRACT.md; additions are listed in miniapp_api/README.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TierOut(Out):
    name: str
    min_points: int


class MemberOut(Out):
    member_code: str
    name: str | None
    phone: str | None = Field(description="84… (canonical form), null until linked")
    points: int = Field(description="spendable balance")
    tier: TierOut


class SessionOut(Out):
    token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="seconds")
    expires_at: datetime
    member: MemberOut


class QrOut(Out):
    token: str = Field(description="signed, short-lived; staff scan it")
    image_url: str = Field(description="absolute URL of a PNG of the QR, valid as long")
    expires_at: datetime


class CardOut(Out):
    member_code: str
    name: str | None
    phone: str | None
    points: int = Field(description="spendable balance")
    tier: TierOut = Field(description="computed on points earned, not the balance")
    next_tier: TierOut | None
    points_to_next: int | None = Field(description="null at the top tier")
    qr: QrOut
    vouchers_available: int


class VoucherOut(Out):
    code: str
    title: str
    kind: str = Field(description="amount (VND off) or percent")
    value: int
    min_order: int
    source: str
    status: Literal["available", "used", "expired"]
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None


class VouchersOut(Out):
    available: list[VoucherOut]
    used: list[VoucherOut]
    expired: list[VoucherOut]


class PointsEntryOut(Out):
    kind: str = Field(description="earn, redeem, adjust, expire or reversal")
    amount: int
    balance_after: int
    reason: str
    ref: str | None
    created_at: datetime


class PointsPageOut(Out):
    items: list[PointsEntryOut]
    page: int
    limit: int
    next_page: int | None
    balance: int


class PhoneOut(Out):
    phone: str
    member: MemberOut
    voucher: VoucherOut | None = Field(description="the phone_capture reward, if configured")
    voucher_issued: bool = Field(description="true only when this call issued it")


class SliceOut(Out):
    index: int
    prize_id: str
    label: str
    color: str


class VoucherSpecOut(Out):
    kind: str
    value: int
    min_order: int
    valid_days: int


class PrizeRuleOut(Out):
    id: str
    label: str
    chance: float | None = Field(description="current chance (wheel and scratch), else null")
    voucher: VoucherSpecOut | None


class ThresholdOut(Out):
    min_score: int
    prize: str


class QuizRulesOut(Out):
    questions_per_play: int
    seconds_per_question: int
    thresholds: list[ThresholdOut]


class RulesOut(Out):
    plays_per_day: int
    plays_total: int | None
    prizes: list[PrizeRuleOut]
    quiz: QuizRulesOut | None


class ScratchCardOut(Out):
    cover_url: str | None
    reveal_fraction: float


class GameSummaryOut(Out):
    id: str
    type: Literal["wheel", "scratch", "quiz"]
    title: str
    description: str
    start: datetime | None
    end: datetime | None
    active: bool
    plays_left: int = Field(description="plays left today")
    next_play_at: datetime | None = Field(description="when plays_left is 0 and more will come")
    rules_url: str | None = Field(
        None, description="the public campaign page: rules, prizes left, winners"
    )


class GameOut(GameSummaryOut):
    version: str
    image_url: str | None = Field(description="the wheel at rest, or the scratch card cover")
    slices: list[SliceOut] | None = Field(description="wheel only, in clockwise order")
    card: ScratchCardOut | None = Field(description="scratch card only")
    rules: RulesOut


class GamesOut(Out):
    items: list[GameSummaryOut]


class PrizeOut(Out):
    id: str
    label: str
    slice_index: int


class QuestionOut(Out):
    index: int = Field(description="0-based position in this play; send it back as question_index")
    question: str
    options: list[str]
    issued_at: datetime
    deadline: datetime
    seconds: int


class QuizOut(Out):
    total: int
    answered: list[bool] = Field(description="correctness of the answers given so far")
    score: int | None
    question: QuestionOut | None = Field(description="the question to answer now")


class PlayOut(Out):
    play_id: int
    game_id: str
    type: Literal["wheel", "scratch", "quiz"]
    status: Literal["done", "in_progress"]
    outcome: Literal["win", "lose"] | None = Field(description="null while a quiz runs")
    prize: PrizeOut | None = Field(description="what was won; null on a loss")
    voucher: VoucherOut | None
    slice_index: int | None = Field(description="the slice the wheel lands on")
    image_url: str | None = Field(description="wheel: the spin GIF; scratch: the revealed card")
    still_url: str | None = Field(None, description="wheel: the landed still (PNG)")
    cover_url: str | None = Field(None, description="scratch: the covered card to scratch")
    quiz: QuizOut | None = None
    created_at: datetime
    replayed: bool = Field(description="true when an Idempotency-Key replay returned this")


class PlaysOut(Out):
    items: list[PlayOut]


class OrderOut(Out):
    order_id: str
    member_code: str
    amount: int
    points: int
    balance: int
    tier: str
    upgraded_from: str | None
    vouchers: list[str] = Field(description="tier reward codes issued by this order")
    paid_at: str
    status: str
    duplicate: bool = Field(description="true when this order_id was recorded before")


class RefundOut(Out):
    order_id: str
    member_code: str
    points_reversed: int
    points_unrecovered: int = Field(description="already spent, so not taken back")
    balance: int
    tier: str
    duplicate: bool


class RfmOut(Out):
    r: int | None = Field(description="recency score 1-5; null without a paid order")
    f: int | None = Field(description="frequency score 1-5 (orders in the RFM window)")
    m: int | None = Field(description="monetary score 1-5 (spend in the RFM window)")
    segment: str | None = Field(description="the built-in RFM segment id")


class AdminMemberOut(Out):
    member_code: str
    name: str | None
    phone: str | None = Field(description="masked (0912***678) for a staff key, see README")
    marketing_opt_in: bool = Field(description="the latest marketing consent decision")
    points: int
    points_earned: int
    tier: TierOut
    next_tier: TierOut | None
    points_to_next: int | None
    vouchers: list[VoucherOut]
    created_at: datetime
    rfm: RfmOut
    tags: list[str]
    source: str | None = Field(
        description="how the member first came: zalo_follow, messenger, miniapp, import, pos, "
        "referral or qr:<ref>"
    )
    stage: Literal["A", "I", "P", "L"] = Field(
        description="AIPL: Awareness, Interest (phone or a play), Purchase, Loyalty"
    )
    birthday: date | None
    orders: int = Field(description="paid orders, lifetime")
    spend: int = Field(description="paid VND, lifetime")


class TagsOut(Out):
    member_code: str
    tags: list[str]


class SegmentOut(Out):
    id: str
    name: str
    members: int
    refreshed_at: datetime | None = Field(description="null until the first refresh")


class SegmentsOut(Out):
    items: list[SegmentOut]


class SegmentMemberOut(Out):
    member_code: str
    name: str | None
    phone: str | None
    tier: str
    rfm: RfmOut


class SegmentMembersOut(Out):
    items: list[SegmentMemberOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class RedeemOut(Out):
    member_code: str
    voucher: VoucherOut


class FieldError(Out):
    field: str
    message: str
    type: str


class Problem(Out):
    """RFC 9457 problem details; extra members (e.g. `next_play_at`) may be present."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="stable, machine-readable")
    errors: list[FieldError] | None = None
