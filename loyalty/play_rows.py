"""What one settled play writes, decided once: the play, its voucher, award and draw log.

`settle.write_play_rows` is the only writer of a play's rows. It takes a `PlayRows`, built
here from the outcome, and hands it to a `PlayWriter`: the portable one (ORM, any database)
or PostgreSQL's single statement (`settle_pg`). The writers only store the values they are
given, so they cannot disagree about what a play is (tests/loyalty/test_play_writer.py checks
both against the same rows).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from games.config import Game
from games.draw import Outcome
from loyalty.models import Voucher
from loyalty.vouchers import SOURCE_PRIZE, _new_code


@dataclass(frozen=True, slots=True)
class VoucherRow:
    code: str
    kind: str
    value: int
    min_order: int
    title: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PlayRows:
    """Every value of a settled play's rows (ids aside, which the database assigns)."""

    member_id: int
    member_code: str
    game_id: str
    game_type: str
    game_version: str
    idempotency_key: str
    day: date
    prize_id: str
    is_win: bool
    slice_index: int
    now: datetime
    voucher: VoucherRow | None  # issued with the award (a win whose prize has a voucher)
    available: dict[str, dict[str, Any]]  # the stock the draw saw
    rng: str  # the random generator's class name ("none": decided by score)
    roll: float | None
    drawn_prize_id: str | None
    detail: dict[str, Any] | None = None  # quiz: score and answers
    play_id: int | None = None  # set: the play row exists (a quiz) and is settled, not inserted


@dataclass(frozen=True, slots=True)
class Written:
    play_id: int
    voucher: Voucher | None


class PlayWriter(Protocol):
    """Stores a `PlayRows` inside the caller's transaction (the member row locked)."""

    async def write(self, rows: PlayRows) -> Written: ...


def play_rows(
    member_id: int,
    member_code: str,
    game: Game,
    *,
    version: str,
    key: str,
    day: date,
    drawn: Outcome,
    final: Outcome,
    snap: dict[str, dict[str, Any]],
    rng: random.Random | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
    play_id: int | None = None,
) -> PlayRows:
    """The rows of a play whose outcome is settled (`final`: after the stock claim)."""
    prize = game.prize(final.prize_id)
    spec = prize.voucher if final.is_win else None
    voucher = None
    if spec is not None:
        voucher = VoucherRow(
            code=_new_code(),  # a clash hits UNIQUE: the play's transaction is retried
            kind=spec.kind,
            value=spec.value,
            min_order=spec.min_order,
            title=(spec.title or prize.label)[:128],
            expires_at=now + timedelta(days=spec.valid_days),
        )
    return PlayRows(
        member_id=member_id,
        member_code=member_code,
        game_id=game.id,
        game_type=game.type,
        game_version=version,
        idempotency_key=key,
        day=day,
        prize_id=final.prize_id,
        is_win=final.is_win,
        slice_index=final.slice_index,
        now=now,
        voucher=voucher,
        available=snap,
        rng=type(rng).__name__ if rng is not None else "none",
        roll=drawn.roll,
        drawn_prize_id=drawn.prize_id,
        detail=detail,
        play_id=play_id,
    )


def voucher_model(rows: PlayRows, play_id: int, voucher_id: int) -> Voucher | None:
    """The voucher a writer stored, as a model (for `vouchers.view`), without reading it."""
    v = rows.voucher
    if v is None:
        return None
    voucher = Voucher(
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
    voucher.id = voucher_id
    return voucher
