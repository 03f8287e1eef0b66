"""Settling a drawn outcome: claim the unit, award it, issue the voucher, write the audit row.

Shared by the wheel/scratch engine (`plays`) and the quiz (`quiz`), so every prize, however
it was won, goes through the same conditional claim. If the claim loses (the last unit went
to someone else a moment ago, or the day's cap filled up), the play gets the no-prize outcome:
the player never sees a prize that was not actually reserved for them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from games.config import Game
from games.draw import Outcome, outcome_for
from loyalty.models import Award, DrawLog, Member, Play, Voucher
from loyalty.stock import claim_locked
from loyalty.vouchers import SOURCE_PRIZE, VoucherView, issue_locked, view


@dataclass(frozen=True, slots=True)
class PlayResult:
    play_id: int
    game_id: str
    game_version: str
    prize_id: str
    is_win: bool
    slice_index: int
    roll: float | None
    voucher: VoucherView | None
    created_at: datetime
    replayed: bool = False


async def claim_outcome(game: Game, drawn: Outcome, available: set[str], day: date) -> Outcome:
    """The outcome the player actually gets: the drawn prize if a unit was claimed."""
    prize = game.prize(drawn.prize_id)
    if prize.is_no_prize:
        return drawn
    if prize.id in available and await claim_locked(game, prize, day):
        return drawn
    return outcome_for(game, game.no_prize.id, drawn.roll)


async def award_locked(
    member: Member, game: Game, play: Play, final: Outcome, now: datetime
) -> Voucher | None:
    """Write the Award (UNIQUE per play) and issue the prize's voucher, if it is a win."""
    if not final.is_win:
        return None
    prize = game.prize(final.prize_id)
    voucher = None
    if prize.voucher is not None:
        voucher = await issue_locked(
            member.id,
            prize.voucher,
            source=SOURCE_PRIZE,
            source_ref=f"play:{play.id}",
            title=prize.label,
            now=now,
            new_ref=True,  # the play row was created in this transaction
        )
    await Award.create(
        play_id=play.id,
        member_id=member.id,
        game_id=game.id,
        prize_id=prize.id,
        voucher_id=voucher.id if voucher else None,
        created_at=now,
    )
    return voucher


async def log_draw(
    member: Member,
    play: Play,
    drawn: Outcome,
    final: Outcome,
    snap: dict[str, dict[str, Any]],
    rng: random.Random | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """The immutable audit row: who, when, which rules, the stock seen, the roll, the result."""
    await DrawLog.create(
        play_id=play.id,
        member_id=member.id,
        member_code=member.member_code,
        game_id=play.game_id,
        game_version=play.game_version,
        available=snap,
        rng=type(rng).__name__ if rng is not None else "none",
        roll=drawn.roll,
        drawn_prize_id=drawn.prize_id,
        prize_id=final.prize_id,
        is_win=final.is_win,
        detail=detail,
        created_at=now,
    )


async def result_of(play: Play, *, replayed: bool, now: datetime | None = None) -> PlayResult:
    """Rebuild the result of a settled play (for idempotent replays)."""
    award = await Award.get_or_none(play_id=play.id)
    voucher = None
    if award is not None and award.voucher_id is not None:  # type: ignore[attr-defined]
        voucher = await Voucher.get(id=award.voucher_id)  # type: ignore[attr-defined]
    log = await DrawLog.get_or_none(play_id=play.id)
    return PlayResult(
        play_id=play.id,
        game_id=play.game_id,
        game_version=play.game_version,
        prize_id=play.prize_id or "",
        is_win=play.is_win,
        slice_index=play.slice_index if play.slice_index is not None else -1,
        roll=log.roll if log else None,
        voucher=view(voucher, now) if voucher else None,
        created_at=play.created_at,
        replayed=replayed,
    )
