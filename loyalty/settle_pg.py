"""PostgreSQL's `PlayWriter`: a settled play's rows in one statement.

The portable writer (`settle.OrmWriter`) costs four round trips after the stock claim, and the
claimed prize's stock row stays locked for all of them: every other player of that prize
waits. Data-modifying CTEs write the play (or settle a quiz's), the voucher, the award, the
draw log and its place in the sealing queue in one round trip, from the same `PlayRows` the
portable writer stores. Foreign keys between the new rows are checked at the end of the
statement, so the award may point at the voucher and the play inserted beside it.
"""

from __future__ import annotations

import json

from loyalty.play_rows import PlayRows, Written, voucher_model
from loyalty.rawsql import fetch_numbered

_NEW_PLAY = """
  INSERT INTO play (member_id, game_id, game_type, game_version, idempotency_key, day, status,
                    prize_id, is_win, slice_index, created_at, finished_at)
  VALUES ($1, $2, $3, $4, $5, $6, 'done', $7, $8, $9, $10, $10)
  RETURNING id
"""
# A quiz's play row exists since its start: settle it ($24 is its id; $3, $5, $6 unused).
_SETTLE_PLAY = """
  UPDATE play SET status = 'done', prize_id = $7, is_win = $8, slice_index = $9,
                  finished_at = $10
  WHERE id = $24 AND $3::varchar IS NOT NULL AND $5::varchar IS NOT NULL
        AND $6::date IS NOT NULL
  RETURNING id
"""
_REST = """
), v AS (
  INSERT INTO voucher (code, member_id, kind, value, min_order, title, source, source_ref,
                       issued_at, expires_at)
  SELECT $11::varchar, $1, $12::varchar, $13::int, $14::bigint, $15::varchar, 'prize',
         'play:' || p.id, $10, $16::timestamptz
  FROM p WHERE $17::boolean
  RETURNING id
), a AS (
  INSERT INTO award (play_id, member_id, game_id, prize_id, voucher_id, created_at)
  SELECT p.id, $1, $2, $7, (SELECT id FROM v), $10 FROM p WHERE $8::boolean
), d AS (
  INSERT INTO draw_log (play_id, member_id, member_code, game_id, game_version, available, rng,
                        roll, drawn_prize_id, prize_id, is_win, detail, created_at)
  SELECT p.id, $1, $18::varchar, $2, $4, $19::text::jsonb, $20::varchar, $21::float8,
         $22::varchar, $7, $8, $23::text::jsonb, $10
  FROM p
  RETURNING id
), u AS (
  INSERT INTO draw_unsealed (draw_log_id, game_id) SELECT d.id, $2 FROM d
)
SELECT p.id AS play_id, (SELECT id FROM v) AS voucher_id FROM p
"""
WRITE_PLAY = "WITH p AS (" + _NEW_PLAY + _REST
SETTLE_PLAY = "WITH p AS (" + _SETTLE_PLAY + _REST


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


class PgWriter:
    """One round trip for the whole play (call inside the play's transaction)."""

    async def write(self, rows: PlayRows) -> Written:
        v = rows.voucher
        params = [
            rows.member_id,
            rows.game_id,
            rows.game_type,
            rows.game_version,
            rows.idempotency_key,
            rows.day,
            rows.prize_id,
            rows.is_win,
            rows.slice_index,
            rows.now,
            v.code if v else "",
            v.kind if v else "",
            v.value if v else 0,
            v.min_order if v else 0,
            v.title if v else "",
            v.expires_at if v else rows.now,
            v is not None,
            rows.member_code,
            _json(rows.available),
            rows.rng,
            rows.roll,
            rows.drawn_prize_id,
            _json(rows.detail),
        ]
        if rows.play_id is not None:
            found = await fetch_numbered(SETTLE_PLAY, *params, rows.play_id)
        else:
            found = await fetch_numbered(WRITE_PLAY, *params)
        if not found:
            raise LookupError(f"no play {rows.play_id} to settle")
        play_id = int(found[0]["play_id"])
        voucher_id = found[0]["voucher_id"]
        return Written(
            play_id, None if voucher_id is None else voucher_model(rows, play_id, int(voucher_id))
        )


PG_WRITER = PgWriter()
