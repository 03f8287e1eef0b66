"""One writer for a play's rows: every `PlayWriter` stores exactly the same rows.

`settle.write_play_rows` is the only writer; PostgreSQL runs its one-statement
implementation (`settle_pg.PG_WRITER`), every database can run the portable one
(`settle.ORM_WRITER`). This test runs on SQLite and on PostgreSQL (CI) and compares what each
available implementation stored with the same hand-written rows, so the production writer is
held to the same rows as the one plain `make test` runs.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from games.draw import Outcome
from loyalty import settle, settle_pg
from loyalty.clock import vn_date
from loyalty.models import Award, DrawLog, DrawUnsealed, Play, Voucher
from loyalty.play_rows import PlayRows, PlayWriter, play_rows
from loyalty.rawsql import is_postgres
from tests.loyalty.conftest import make_game, make_quiz, new_member, vn

NOW = vn(2025, 3, 1, 10)
SNAP = {"v50k": {"remaining": 4, "today": 1, "daily_cap": None, "available": True}}


def writers() -> list[PlayWriter]:
    return [settle.ORM_WRITER, settle_pg.PG_WRITER] if is_postgres() else [settle.ORM_WRITER]


async def stored(play_id: int) -> dict[str, Any]:
    """The rows of one play, ids and the random voucher code left out."""
    play = (await Play.filter(id=play_id).values())[0]
    vouchers = await Voucher.filter(source_ref=f"play:{play_id}").values()
    awards = await Award.filter(play_id=play_id).values()
    logs = await DrawLog.filter(play_id=play_id).values()
    for log in logs:  # every draw waits in the sealing queue (loyalty.promotions.chain)
        queued = await DrawUnsealed.filter(draw_log_id=log["id"]).values_list("game_id", flat=True)
        log["queued_for"] = list(queued)
    for row in (play, *vouchers, *awards, *logs):
        row.pop("id")
        row.pop("play_id", None)
    for v in vouchers:
        assert len(v.pop("code")) > 0
        v.pop("member_id")
    for a in awards:
        assert a.pop("voucher_id") is not None or not vouchers
        a.pop("member_id")
    for log in logs:
        log.pop("member_id")
    play.pop("member_id")
    return {"play": play, "vouchers": vouchers, "awards": awards, "logs": logs}


def expected(key: str, *, win: bool, version: str, roll: float) -> dict[str, Any]:
    return {
        "play": {
            "game_id": "wheel", "game_type": "wheel", "game_version": version,
            "idempotency_key": key, "day": vn_date(NOW), "status": "done",
            "prize_id": "v50k" if win else "none", "is_win": win, "slice_index": 0 if win else 1,
            "created_at": NOW, "finished_at": NOW,
        },
        "vouchers": [
            {
                "kind": "amount", "value": 50_000, "min_order": 0, "title": "Voucher 50K",
                "source": "prize", "source_ref": None, "issued_at": NOW,
                "expires_at": NOW + timedelta(days=30), "redeemed_at": None,
                "redeemed_ref": None,
            }
        ] if win else [],
        "awards": [
            {"game_id": "wheel", "prize_id": "v50k", "created_at": NOW}
        ] if win else [],
        "logs": [
            {
                "member_code": "", "game_id": "wheel", "game_version": version,
                "available": SNAP, "rng": "Random", "roll": roll, "drawn_prize_id": "v50k",
                "prize_id": "v50k" if win else "none", "is_win": win, "detail": None,
                "created_at": NOW, "queued_for": ["wheel"],
            }
        ],
    }  # fmt: skip


def _without_own_keys(rows: dict[str, Any]) -> dict[str, Any]:
    """What differs between two writers' plays only because they are two plays."""
    rows["play"].pop("idempotency_key")
    for v in rows["vouchers"]:
        v.pop("source_ref")
    for log in rows["logs"]:
        log.pop("member_code")
    return rows


async def write(rows: PlayRows, writer: PlayWriter) -> int:
    async with in_transaction():
        return (await settle.write_play_rows(rows, writer)).play_id


@pytest.mark.parametrize("win", [True, False])
async def test_every_writer_stores_the_same_rows(db: str, win: bool) -> None:
    game = make_game()
    drawn = Outcome(prize_id="v50k", slice_index=0, is_win=True, roll=0.25)
    final = drawn if win else Outcome(prize_id="none", slice_index=1, is_win=False, roll=0.25)
    results = []
    for i, writer in enumerate(writers()):
        member = await new_member(f"w{i}")
        rows = play_rows(
            member.id, member.member_code, game, version=game.version(), key=f"k{i}",
            day=vn_date(NOW), drawn=drawn, final=final, snap=SNAP, rng=random.Random(1),
            now=NOW,
        )  # fmt: skip
        written_id = await write(rows, writer)
        got = await stored(written_id)
        want = expected(f"k{i}", win=win, version=game.version(), roll=0.25)
        want["logs"][0]["member_code"] = member.member_code
        if win:
            want["vouchers"][0]["source_ref"] = f"play:{written_id}"
            voucher = await Voucher.get(source_ref=f"play:{written_id}")
            assert voucher.code == rows.voucher.code  # type: ignore[union-attr]
            assert voucher.member_id == member.id  # type: ignore[attr-defined]
        assert got == want, type(writer).__name__
        results.append(_without_own_keys(got))
    assert all(r == results[0] for r in results)


async def test_every_writer_settles_a_quiz_play_the_same(db: str) -> None:
    game = make_quiz()
    drawn = Outcome(prize_id="v20k", slice_index=0, is_win=True, roll=None)
    detail = {"score": 2, "answers": [{"option": 1, "correct": True}]}
    results = []
    for i, writer in enumerate(writers()):
        member = await new_member(f"q{i}")
        play = await Play.create(
            member_id=member.id, game_id="quiz", game_type="quiz", game_version="v1",
            idempotency_key=f"q{i}", day=vn_date(NOW), status="open", created_at=NOW,
        )  # fmt: skip
        rows = play_rows(
            member.id, member.member_code, game, version="v1", key=f"q{i}", day=vn_date(NOW),
            drawn=drawn, final=drawn, snap={}, rng=None, now=NOW + timedelta(seconds=30),
            detail=detail, play_id=play.id,
        )  # fmt: skip
        assert await write(rows, writer) == play.id
        got = await stored(play.id)
        assert (got["play"]["status"], got["play"]["prize_id"], got["play"]["is_win"]) == (
            "done", "v20k", True,
        )  # fmt: skip
        assert got["play"]["created_at"] == NOW
        assert got["play"]["finished_at"] == NOW + timedelta(seconds=30)
        assert got["logs"][0]["detail"] == detail and got["logs"][0]["rng"] == "none"
        assert got["logs"][0]["roll"] is None
        assert [v["value"] for v in got["vouchers"]] == [20_000]
        results.append(_without_own_keys(got))
    assert all(r == results[0] for r in results)


async def test_settling_a_missing_play_is_refused(db: str) -> None:
    game = make_quiz()
    member = await new_member("missing")
    drawn = Outcome(prize_id="none", slice_index=1, is_win=False, roll=None)
    for writer in writers():
        rows = play_rows(
            member.id, member.member_code, game, version="v1", key="x", day=vn_date(NOW),
            drawn=drawn, final=drawn, snap={}, rng=None, now=NOW, play_id=987_654,
        )  # fmt: skip
        with pytest.raises(LookupError):
            await write(rows, writer)
