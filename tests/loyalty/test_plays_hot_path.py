"""The play's hand-written hot path writes what the ORM path wrote, on either database.

On PostgreSQL a play's rows come from one statement (`loyalty.settle_pg`), on SQLite from the
ORM; these tests run on both (CI runs PostgreSQL) and check the stored rows field by field.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from loyalty import plays
from loyalty.errors import MemberNotFound
from loyalty.models import Award, DrawLog, Member, Play, Voucher
from loyalty.stock import sync_prize_stock
from tests.loyalty.conftest import make_game, new_member, vn

NOW = vn(2025, 3, 1, 10)


async def test_a_win_stores_play_voucher_award_and_draw_log(db: str) -> None:
    game = make_game()
    await sync_prize_stock([game])
    member = await new_member("hot-1")
    result = await plays.play(member, game, idempotency_key="k1", rng=random.Random(7), now=NOW)
    assert result.is_win and result.voucher is not None

    play = await Play.get(id=result.play_id)
    assert (play.member_id, play.game_id, play.game_type, play.idempotency_key) == (  # type: ignore[attr-defined]
        member.id,
        "wheel",
        "wheel",
        "k1",
    )
    assert (play.status, play.prize_id, play.is_win, play.slice_index) == ("done", "v50k", True, 0)
    assert play.created_at == NOW and play.finished_at == NOW
    assert play.game_version == game.version()

    voucher = await Voucher.get(source_ref=f"play:{play.id}")
    assert voucher.code == result.voucher.code
    assert (voucher.member_id, voucher.kind, voucher.value, voucher.min_order) == (  # type: ignore[attr-defined]
        member.id,
        "amount",
        50_000,
        0,
    )
    assert (voucher.title, voucher.source) == ("Voucher 50K", "prize")
    assert voucher.issued_at == NOW and voucher.expires_at == NOW + timedelta(days=30)
    assert voucher.redeemed_at is None

    award = await Award.get(play_id=play.id)
    assert (award.member_id, award.game_id, award.prize_id, award.voucher_id) == (  # type: ignore[attr-defined]
        member.id,
        "wheel",
        "v50k",
        voucher.id,
    )

    log = await DrawLog.get(play_id=play.id)
    assert (log.member_id, log.member_code, log.game_version) == (
        member.id,
        member.member_code,
        game.version(),
    )
    assert (log.drawn_prize_id, log.prize_id, log.is_win, log.rng) == (
        "v50k",
        "v50k",
        True,
        "Random",
    )
    assert log.roll == result.roll and log.detail is None
    assert log.available["v50k"] == {
        "remaining": 10,
        "today": 0,
        "daily_cap": None,
        "available": True,
    }

    # A replay rebuilds the same result from the stored rows.
    again = await plays.play(member, game, idempotency_key="k1", rng=random.Random(1), now=NOW)
    assert again.replayed and again.play_id == play.id
    assert again.voucher is not None and again.voucher.code == voucher.code


async def test_a_loss_stores_no_voucher_and_no_award(db: str) -> None:
    game = make_game()
    await sync_prize_stock([game])
    # Stock gone: the draw still picks the prize, the claim fails, the player gets no prize.
    for i in range(10):
        drain = await new_member(f"drain-{i}")
        await plays.play(drain, game, idempotency_key="x", rng=random.Random(i), now=NOW)
    member = await new_member("hot-2")
    result = await plays.play(member, game, idempotency_key="k", rng=random.Random(3), now=NOW)
    assert not result.is_win and result.voucher is None and result.prize_id == "none"
    assert not await Award.filter(play_id=result.play_id).exists()
    assert not await Voucher.filter(source_ref=f"play:{result.play_id}").exists()
    log = await DrawLog.get(play_id=result.play_id)
    assert (log.prize_id, log.is_win) == ("none", False)
    assert log.available["v50k"]["remaining"] == 0


async def test_a_play_by_a_merged_member_goes_to_the_live_member(db: str) -> None:
    game = make_game()
    await sync_prize_stock([game])
    live = await new_member("live")
    old = await new_member("old")
    await Member.filter(id=old.id).update(merged_into_id=live.id)
    result = await plays.play(old, game, idempotency_key="m", rng=random.Random(1), now=NOW)
    play = await Play.get(id=result.play_id)
    assert play.member_id == live.id  # type: ignore[attr-defined]


async def test_a_play_by_a_missing_member_is_refused(db: str) -> None:
    game = make_game()
    await sync_prize_stock([game])
    ghost = await new_member("ghost")
    ghost.id = 987_654_321
    with pytest.raises(MemberNotFound):
        await plays.play(ghost, game, idempotency_key="g", rng=random.Random(1), now=NOW)
