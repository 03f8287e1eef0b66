"""The draw log's hash chain: sealed after plays, verified, and broken by a direct SQL edit.

The database refuses UPDATE and DELETE on the log; the edits here are made with the trigger
set aside, as an owner with full access could, and `verify` must name the first broken entry.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from tortoise import connections
from tortoise.exceptions import BaseORMException

from loyalty import plays
from loyalty.append_only import pg_trigger, sqlite_triggers
from loyalty.models import DrawChain, DrawLog, DrawUnsealed
from loyalty.promotions import chain
from loyalty.stock import sync_prize_stock
from tests.loyalty.conftest import make_game, new_member, vn

NOW = vn(2025, 3, 1, 10)


async def play_out(n: int, game_id: str = "wheel") -> list[int]:
    game = make_game(id=game_id)
    await sync_prize_stock([game])
    ids = []
    for i in range(n):
        member = await new_member(f"{game_id}-{i}")
        r = await plays.play(member, game, idempotency_key="k", rng=random.Random(i), now=NOW)
        ids.append(r.play_id)
    return ids


@asynccontextmanager
async def without_triggers(table: str) -> AsyncIterator[None]:
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    if postgres:
        await conn.execute_script(f'ALTER TABLE "{table}" DISABLE TRIGGER "{table}_append_only"')
    else:
        for op in ("update", "delete"):
            await conn.execute_script(f'DROP TRIGGER "{table}_no_{op}"')
    try:
        yield
    finally:
        if postgres:
            await conn.execute_script(
                f'ALTER TABLE "{table}" ENABLE TRIGGER "{table}_append_only"'
            )
        else:
            for sql in sqlite_triggers(table):
                await conn.execute_script(sql)
    assert pg_trigger(table)  # the same names the migration created


async def test_plays_are_sealed_in_order_and_verify(db: str) -> None:
    play_ids = await play_out(4)
    assert await DrawUnsealed.all().count() == 4
    assert await chain.seal("wheel") == 4
    assert await chain.seal("wheel") == 0
    assert await DrawUnsealed.all().count() == 0
    entries = await DrawChain.filter(game_id="wheel").order_by("seq")
    logs = {log.id: log.play_id for log in await DrawLog.all()}
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert [logs[e.draw_log_id] for e in entries] == play_ids
    assert entries[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    result = await chain.verify("wheel")
    assert result.ok and result.draws == 4 and result.head == entries[-1].entry_hash


async def test_campaigns_have_chains_of_their_own(db: str) -> None:
    await play_out(2, "wheel")
    await play_out(3, "other")
    assert await chain.seal_all() == 5
    assert (await chain.verify("wheel")).draws == 2
    assert (await chain.verify("other")).draws == 3
    assert (await chain.verify("nothing")).ok


async def test_verify_seals_what_waits_first(db: str) -> None:
    await play_out(2)
    result = await chain.verify("wheel")
    assert result.ok and result.draws == 2


@pytest.mark.parametrize("sql", ["UPDATE draw_log SET prize_id = 'none'", "DELETE FROM draw_log"])
async def test_the_database_refuses_to_change_the_log(db: str, sql: str) -> None:
    await play_out(1)
    await chain.seal("wheel")
    conn = connections.get("default")
    with pytest.raises((BaseORMException, Exception), match="append-only"):
        await conn.execute_script(sql)
    with pytest.raises((BaseORMException, Exception), match="append-only"):
        await conn.execute_script(
            sql.replace("draw_log", "draw_chain").replace("prize_id", "game_id")
        )
    assert await DrawLog.all().count() == 1


async def test_an_edited_draw_is_found(db: str) -> None:
    play_ids = await play_out(3)
    await chain.seal("wheel")
    async with without_triggers("draw_log"):
        await connections.get("default").execute_query(
            "UPDATE draw_log SET is_win = NOT is_win WHERE play_id = ?"
            if connections.get("default").capabilities.dialect == "sqlite"
            else "UPDATE draw_log SET is_win = NOT is_win WHERE play_id = $1",
            [play_ids[1]],
        )
    result = await chain.verify("wheel")
    assert not result.ok and result.broken is not None
    assert (result.broken.seq, result.broken.play_id) == (2, play_ids[1])
    assert "changed after sealing" in result.broken.reason
    assert result.draws == 1


async def test_a_deleted_draw_and_a_removed_entry_are_found(db: str) -> None:
    play_ids = await play_out(3)
    await chain.seal("wheel")
    async with without_triggers("draw_log"):
        await DrawLog.filter(play_id=play_ids[2]).delete()
    result = await chain.verify("wheel")
    assert result.broken is not None and result.broken.seq == 3
    assert "gone" in result.broken.reason

    async with without_triggers("draw_chain"):
        await DrawChain.filter(seq=3).delete()  # hide the deletion: drop the entry too
        await DrawChain.filter(seq=1).delete()  # and an early one
    result = await chain.verify("wheel")
    assert result.broken is not None and result.broken.seq == 2
    assert "expected entry 1" in result.broken.reason


async def test_a_draw_left_out_of_the_queue_is_found(db: str) -> None:
    await play_out(2)
    await DrawUnsealed.all().delete()  # the queue is not the log: no trigger, but verify knows
    result = await chain.verify("wheel")
    assert result.broken is not None and result.broken.seq is None
    assert "never sealed" in result.broken.reason


async def test_sealing_while_playing_keeps_one_chain(db: str) -> None:
    """Plays and several sealers at once (PostgreSQL in CI): every draw sealed exactly once,
    in one unbroken chain, whatever order the plays committed in."""
    game = make_game(plays_per_day=1)
    await sync_prize_stock([game])
    players = [await new_member(f"c{i}") for i in range(24)]

    async def one(i: int) -> None:
        await plays.play(players[i], game, idempotency_key="k", rng=random.Random(i), now=NOW)

    sealed = await asyncio.gather(
        *(one(i) for i in range(24)), *(chain.seal("wheel") for _ in range(6))
    )
    total = sum(n for n in sealed if isinstance(n, int)) + await chain.seal("wheel")
    assert total == 24
    entries = await DrawChain.filter(game_id="wheel").order_by("seq")
    assert [e.seq for e in entries] == list(range(1, 25))
    assert len({e.draw_log_id for e in entries}) == 24
    result = await chain.verify("wheel")
    assert result.ok and result.draws == 24
