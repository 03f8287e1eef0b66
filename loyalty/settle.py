"""Settling a drawn outcome: claim the unit, then write the play's rows through one writer.

Shared by the wheel/scratch engine (`plays`) and the quiz (`quiz`), so every prize, however
it was won, goes through the same conditional claim and the same `write_play_rows`. If the
claim loses (the last unit went to someone else a moment ago, or the day's cap filled up),
the play gets the no-prize outcome: the player never sees a prize that was not actually
reserved for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from games.config import Game
from games.draw import Outcome, outcome_for
from loyalty.models import Award, DrawLog, DrawUnsealed, Play, Voucher
from loyalty.play_rows import PlayRows, PlayWriter, Written
from loyalty.rawsql import is_postgres
from loyalty.settle_pg import PG_WRITER
from loyalty.stock import claim_locked
from loyalty.vouchers import SOURCE_PRIZE, VoucherView, view


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


class OrmWriter:
    """The portable `PlayWriter` (SQLite, and any database Tortoise speaks): one row at a time."""

    async def write(self, rows: PlayRows) -> Written:
        if rows.play_id is None:
            play = await Play.create(
                member_id=rows.member_id,
                game_id=rows.game_id,
                game_type=rows.game_type,
                game_version=rows.game_version,
                idempotency_key=rows.idempotency_key,
                day=rows.day,
                status="done",
                prize_id=rows.prize_id,
                is_win=rows.is_win,
                slice_index=rows.slice_index,
                created_at=rows.now,
                finished_at=rows.now,
            )
            play_id = play.id
        else:
            play_id = rows.play_id
            changed = await Play.filter(id=play_id).update(
                status="done",
                prize_id=rows.prize_id,
                is_win=rows.is_win,
                slice_index=rows.slice_index,
                finished_at=rows.now,
            )
            if changed != 1:
                raise LookupError(f"no play {play_id} to settle")
        voucher = None
        if rows.voucher is not None:
            v = rows.voucher
            voucher = await Voucher.create(
                code=v.code,
                member_id=rows.member_id,
                kind=v.kind,
                value=v.value,
                min_order=v.min_order,
                title=v.title,
                source=SOURCE_PRIZE,
                source_ref=f"play:{play_id}",
                issued_at=rows.now,
                expires_at=v.expires_at,
            )
        if rows.is_win:
            await Award.create(
                play_id=play_id,
                member_id=rows.member_id,
                game_id=rows.game_id,
                prize_id=rows.prize_id,
                voucher_id=voucher.id if voucher else None,
                created_at=rows.now,
            )
        log = await DrawLog.create(
            play_id=play_id,
            member_id=rows.member_id,
            member_code=rows.member_code,
            game_id=rows.game_id,
            game_version=rows.game_version,
            available=rows.available,
            rng=rows.rng,
            roll=rows.roll,
            drawn_prize_id=rows.drawn_prize_id,
            prize_id=rows.prize_id,
            is_win=rows.is_win,
            detail=rows.detail,
            created_at=rows.now,
        )
        await DrawUnsealed.create(draw_log_id=log.id, game_id=rows.game_id)
        return Written(play_id, voucher)


ORM_WRITER = OrmWriter()


def writer_for_database() -> PlayWriter:
    """PostgreSQL's one-statement writer there, the portable one elsewhere."""
    return PG_WRITER if is_postgres() else ORM_WRITER


async def write_play_rows(rows: PlayRows, writer: PlayWriter | None = None) -> Written:
    """The one writer of a play's rows (inside the play's transaction, the member locked).

    `writer`: tests pass each implementation to compare what they store.
    """
    return await (writer or writer_for_database()).write(rows)


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
