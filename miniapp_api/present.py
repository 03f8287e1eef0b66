"""Loyalty and games objects → response models. No I/O besides reads through loyalty services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from games import wheel
from games.config import Game
from games.draw import win_chances
from loyalty import plays, tiers, vouchers
from loyalty.clock import aware, next_vn_midnight, utcnow, vn_date
from loyalty.config import LoyaltyConfig, Tier
from loyalty.models import Member
from loyalty.quiz import QuizState
from loyalty.settle import PlayResult
from loyalty.stock import available_ids, ensure_rows, snapshot
from loyalty.vouchers import VoucherView
from miniapp_api import schemas as s
from miniapp_api.media import PlayImages


def tier_out(tier: Tier) -> s.TierOut:
    return s.TierOut(name=tier.name, min_points=tier.min_points)


def member_out(member: Member, config: LoyaltyConfig) -> s.MemberOut:
    return s.MemberOut(
        member_code=member.member_code,
        name=member.name,
        phone=member.phone,
        points=member.points_balance,
        tier=tier_out(tiers.current_tier(member, config)),
    )


def rfm_out(row: dict[str, Any] | None) -> s.RfmOut:
    if row is None:
        return s.RfmOut(r=None, f=None, m=None, segment=None)
    return s.RfmOut(r=row["r"], f=row["f"], m=row["m"], segment=row["segment"])


def voucher_out(v: VoucherView) -> s.VoucherOut:
    return s.VoucherOut(
        code=v.code,
        title=v.title,
        kind=v.kind,
        value=v.value,
        min_order=v.min_order,
        source=v.source,
        status=v.status,
        issued_at=v.issued_at,
        expires_at=v.expires_at,
        redeemed_at=v.redeemed_at,
    )


def is_active(game: Game, now: datetime) -> bool:
    if game.start is not None and now < aware(game.start):
        return False
    return game.end is None or now < aware(game.end)


async def plays_left_and_next(
    member: Member, game: Game, now: datetime
) -> tuple[int, datetime | None]:
    """Plays left today, and when the next one comes if none is left (None = never)."""
    left = await plays.plays_left(member, game, now)
    if left > 0:
        return left, None
    tomorrow = next_vn_midnight(now)
    if game.end is not None and tomorrow >= aware(game.end):
        return 0, None
    more = await plays.plays_left(member, game, tomorrow + timedelta(seconds=1))
    return 0, (tomorrow if more > 0 else None)


async def game_summary(member: Member, game: Game, now: datetime) -> s.GameSummaryOut:
    left, next_at = await plays_left_and_next(member, game, now)
    return s.GameSummaryOut(
        id=game.id,
        type=game.type,
        title=game.title,
        description=game.description,
        start=aware(game.start) if game.start else None,
        end=aware(game.end) if game.end else None,
        active=is_active(game, now),
        plays_left=left,
        next_play_at=next_at,
    )


async def rules_out(game: Game, now: datetime) -> s.RulesOut:
    chances: dict[str, float] = {}
    if game.type != "quiz":
        await ensure_rows(game)
        chances = win_chances(game, available_ids(await snapshot(game, vn_date(now))))
    prizes = [
        s.PrizeRuleOut(
            id=p.id,
            label=p.label,
            chance=round(chances[p.id], 6) if p.id in chances else None,
            voucher=None
            if p.voucher is None
            else s.VoucherSpecOut(
                kind=p.voucher.kind,
                value=p.voucher.value,
                min_order=p.voucher.min_order,
                valid_days=p.voucher.valid_days,
            ),
        )
        for p in game.prizes
    ]
    quiz = None
    if game.quiz is not None:
        quiz = s.QuizRulesOut(
            questions_per_play=game.quiz.questions_per_play,
            seconds_per_question=game.quiz.seconds_per_question,
            thresholds=[
                s.ThresholdOut(min_score=t.min_score, prize=t.prize) for t in game.quiz.thresholds
            ],
        )
    return s.RulesOut(
        plays_per_day=game.plays_per_day, plays_total=game.plays_total, prizes=prizes, quiz=quiz
    )


def slices_out(game: Game) -> list[s.SliceOut] | None:
    if game.type != "wheel":
        return None
    return [
        s.SliceOut(index=sl.index, prize_id=sl.prize_id, label=sl.label, color=sl.color)
        for sl in wheel.slices(game)
    ]


def _prize(game: Game, prize_id: str, slice_index: int) -> s.PrizeOut | None:
    prize = next((p for p in game.prizes if p.id == prize_id), None)
    label = prize.label if prize is not None else prize_id
    return s.PrizeOut(id=prize_id, label=label, slice_index=slice_index)


def play_out(
    game: Game, result: PlayResult, images: PlayImages | None = None, *, replayed: bool = False
) -> s.PlayOut:
    images = images or PlayImages()
    return s.PlayOut(
        play_id=result.play_id,
        game_id=result.game_id,
        type=game.type,
        status="done",
        outcome="win" if result.is_win else "lose",
        prize=_prize(game, result.prize_id, result.slice_index) if result.is_win else None,
        voucher=voucher_out(result.voucher) if result.voucher else None,
        slice_index=result.slice_index if result.slice_index >= 0 else None,
        image_url=images.image_url,
        still_url=images.still_url,
        cover_url=images.cover_url,
        created_at=result.created_at,
        replayed=replayed,
    )


def quiz_out(game: Game, state: QuizState, created_at: datetime | None = None) -> s.PlayOut:
    """A running quiz (the current question, never its answer) or the finished result."""
    question = None
    if state.current is not None:
        q = state.current
        question = s.QuestionOut(
            index=q.position,
            question=q.question,
            options=q.options,
            issued_at=q.issued_at,
            deadline=q.deadline,
            seconds=round((q.deadline - q.issued_at).total_seconds()),
        )
    progress = s.QuizOut(
        total=state.total, answered=state.answered, score=state.score, question=question
    )
    if state.result is not None:
        out = play_out(game, state.result, replayed=state.replayed)
        return out.model_copy(update={"quiz": progress, "type": "quiz"})
    started = created_at or (state.current.issued_at if state.current else utcnow())
    return s.PlayOut(
        play_id=state.play_id,
        game_id=state.game_id,
        type="quiz",
        status="in_progress",
        outcome=None,
        prize=None,
        voucher=None,
        slice_index=None,
        image_url=None,
        quiz=progress,
        created_at=started.astimezone(UTC),
        replayed=state.replayed,
    )


async def vouchers_out(member: Member, now: datetime) -> s.VouchersOut:
    views = await vouchers.list_for_member(member, now=now)
    return s.VouchersOut(
        available=[voucher_out(v) for v in views if v.status == "available"],
        used=[voucher_out(v) for v in views if v.status == "used"],
        expired=[voucher_out(v) for v in views if v.status == "expired"],
    )
