"""A settled play's rows in one statement on PostgreSQL: play, voucher, award and draw log.

The ORM path (`settle.award_locked` + `settle.log_draw` after `Play.create`) costs four round
trips after the stock claim, and the claimed prize's stock row stays locked for all of them:
every other player of that prize waits. Data-modifying CTEs write the four rows in one round
trip, with the same columns and values the ORM path writes (the same tests run on both, SQLite
taking the ORM path). Foreign keys between the new rows are checked at the end of the
statement, so the award may point at the voucher and the play inserted beside it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from games.config import Game
from games.draw import Outcome
from loyalty.models import Member, Voucher
from loyalty.rawsql import fetch_numbered
from loyalty.vouchers import SOURCE_PRIZE, _new_code

WRITE_PLAY = """
WITH p AS (
  INSERT INTO play (member_id, game_id, game_type, game_version, idempotency_key, day, status,
                    prize_id, is_win, slice_index, created_at, finished_at)
  VALUES ($1, $2, $3, $4, $5, $6, 'done', $7, $8, $9, $10, $10)
  RETURNING id
), v AS (
  INSERT INTO voucher (code, member_id, kind, value, min_order, title, source, source_ref,
                       issued_at, expires_at)
  SELECT $11::varchar, $1, $12::varchar, $13::int, $14::bigint, $15::varchar, $16::varchar,
         'play:' || p.id, $10, $17::timestamptz
  FROM p WHERE $18::boolean
  RETURNING id
), a AS (
  INSERT INTO award (play_id, member_id, game_id, prize_id, voucher_id, created_at)
  SELECT p.id, $1, $2, $7, (SELECT id FROM v), $10 FROM p WHERE $8::boolean
), d AS (
  INSERT INTO draw_log (play_id, member_id, member_code, game_id, game_version, available, rng,
                        roll, drawn_prize_id, prize_id, is_win, detail, created_at)
  SELECT p.id, $1, $19::varchar, $2, $4, $20::text::jsonb, $21::varchar, $22::float8,
         $23::varchar, $7, $8, NULL, $10
  FROM p
)
SELECT p.id AS play_id, (SELECT id FROM v) AS voucher_id FROM p
"""


@dataclass(frozen=True, slots=True)
class Written:
    play_id: int
    voucher: Voucher | None


async def write_play(
    member: Member,
    game: Game,
    *,
    version: str,
    key: str,
    day: date,
    drawn: Outcome,
    final: Outcome,
    snap: dict[str, dict[str, Any]],
    rng: random.Random,
    now: datetime,
) -> Written:
    """Insert the play and everything it settles (call inside the play's transaction)."""
    prize = game.prize(final.prize_id)
    spec = prize.voucher if final.is_win else None
    code = _new_code() if spec is not None else ""
    title = ((spec.title or prize.label) if spec is not None else "")[:128]
    expires = now + timedelta(days=spec.valid_days) if spec is not None else now
    rows = await fetch_numbered(
        WRITE_PLAY,
        *[
            member.id,
            game.id,
            game.type,
            version,
            key,
            day,
            final.prize_id,
            final.is_win,
            final.slice_index,
            now,
            code,
            spec.kind if spec is not None else "",
            spec.value if spec is not None else 0,
            spec.min_order if spec is not None else 0,
            title,
            SOURCE_PRIZE,
            expires,
            spec is not None,
            member.member_code,
            json.dumps(snap, separators=(",", ":")),
            type(rng).__name__,
            drawn.roll,
            drawn.prize_id,
        ],
    )
    row = rows[0]
    voucher = None
    if spec is not None:
        # The same values the statement wrote, as an unsaved-looking model for `view`.
        voucher = Voucher(
            code=code,
            member_id=member.id,
            kind=spec.kind,
            value=spec.value,
            min_order=spec.min_order,
            title=title,
            source=SOURCE_PRIZE,
            source_ref=f"play:{row['play_id']}",
            issued_at=now,
            expires_at=expires,
        )
        voucher.id = int(row["voucher_id"])
    return Written(int(row["play_id"]), voucher)
