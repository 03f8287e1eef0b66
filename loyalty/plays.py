"""The prize engine: one play of a wheel or scratch card, decided and settled in one transaction.

Order inside the transaction (the same in every play, so plays queue instead of deadlocking):
lock the member → replay check → window and play limits → read what is claimable →
draw (`games.draw.draw`) → claim one unit by conditional UPDATE → write Play, Award, voucher
and the draw log (`settle.write_play_rows`, one statement on PostgreSQL). A retry with the
same idempotency key, sequential or concurrent, finds the first play (the member lock
serializes them) and returns its result.

Play limits count plays per Vietnam-time day (`Asia/Ho_Chi_Minh`) and per person overall.
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Callable
from datetime import datetime

from tortoise.transactions import in_transaction

from games.config import Game
from games.draw import Outcome, draw
from loyalty.clock import aware, next_vn_midnight, utcnow, vn_date
from loyalty.errors import (
    GameNotActive,
    InvalidInput,
    MemberNotFound,
    NoPlaysLeft,
    PlayNotFound,
    WrongGameType,
)
from loyalty.members import resolve
from loyalty.models import Member, Play
from loyalty.play_rows import play_rows
from loyalty.rawsql import live_member_id, play_state
from loyalty.settle import PlayResult, claim_outcome, result_of, write_play_rows
from loyalty.stock import available_ids, snapshot
from loyalty.txn import lock_member, retry_on_conflict
from loyalty.vouchers import view

Drawer = Callable[[Game, random.Random, set[str]], Outcome]


def check_key(idempotency_key: str | None) -> str:
    """No key means "never a retry": a fresh random key."""
    if idempotency_key is None:
        return "auto:" + uuid.uuid4().hex
    key = str(idempotency_key).strip()
    if not key or len(key) > 128:
        raise InvalidInput("Idempotency-Key must be 1..128 characters")
    return key


def check_window(game: Game, now: datetime) -> None:
    if game.start is not None and now < aware(game.start):
        raise GameNotActive(f"game {game.id} starts at {aware(game.start).isoformat()}")
    if game.end is not None and now >= aware(game.end):
        raise GameNotActive(f"game {game.id} ended at {aware(game.end).isoformat()}")


async def _counts(member_id: int, game: Game, now: datetime) -> tuple[int, int]:
    today = await Play.filter(member_id=member_id, game_id=game.id, day=vn_date(now)).count()
    total = (
        await Play.filter(member_id=member_id, game_id=game.id).count()
        if game.plays_total is not None
        else 0
    )
    return today, total


async def plays_left(member: Member, game: Game, now: datetime | None = None) -> int:
    """Plays this member still has today (also bounded by the per-person total)."""
    now = now or utcnow()
    member = await resolve(member)
    today, total = await _counts(member.id, game, now)
    left = game.plays_per_day - today
    if game.plays_total is not None:
        left = min(left, game.plays_total - total)
    return max(0, left)


async def check_limits_locked(
    member_id: int, game: Game, now: datetime, counts: tuple[int, int] | None = None
) -> None:
    """Raise NoPlaysLeft when a limit is reached; `counts` = (today, total) if already read."""
    today, total = counts if counts is not None else await _counts(member_id, game, now)
    if game.plays_total is not None and total >= game.plays_total:
        raise NoPlaysLeft(f"all {game.plays_total} plays of {game.id} used", next_play_at=None)
    if today >= game.plays_per_day:
        raise NoPlaysLeft(
            f"{game.plays_per_day} plays of {game.id} per day used",
            next_play_at=next_vn_midnight(now),
        )


async def find_play(member_id: int, game_id: str, key: str) -> Play | None:
    return await Play.get_or_none(member_id=member_id, game_id=game_id, idempotency_key=key)


async def get_play(play_id: int, *, member: Member | None = None) -> Play:
    """A play by id; with `member`, only if it is theirs (else PlayNotFound, not 403)."""
    play = await Play.get_or_none(id=play_id)
    if play is None:
        raise PlayNotFound(f"no play {play_id}")
    if member is not None and (await resolve(member)).id != play.member_id:  # type: ignore[attr-defined]
        raise PlayNotFound(f"no play {play_id}")
    return play


async def play(
    member: Member,
    game: Game,
    *,
    idempotency_key: str | None,
    rng: random.Random,
    now: datetime | None = None,
    config_version: str | None = None,
    drawer: Drawer = draw,
) -> PlayResult:
    """Play a wheel or scratch card once. The server decides, the client only animates.

    Raises `GameNotActive`, `NoPlaysLeft` (with `next_play_at`), `WrongGameType` (a quiz).
    """
    if game.type == "quiz":
        raise WrongGameType(f"game {game.id} is a quiz: use start_quiz")
    key = check_key(idempotency_key)
    now = now or utcnow()
    version = config_version or game.version()

    async def attempt(live_id: int) -> PlayResult:
        day = vn_date(now)
        async with in_transaction():
            locked = await lock_member(live_id)
            if locked.merged_into_id is not None:  # type: ignore[attr-defined]
                raise _Merged  # the play goes to the member this one was merged into
            # One read for the replay check, both limits and the stock (see rawsql).
            state = await play_state(
                locked.id, game.id, key, day, with_total=game.plays_total is not None
            )
            if state.found is not None:
                found = await Play.get(id=state.found)
                return await result_of(found, replayed=True, now=now)
            check_window(game, now)  # a replay still answers after the game has ended
            await check_limits_locked(locked.id, game, now, (state.today, state.total))
            snap = await snapshot(game, day, state.stock)
            available = available_ids(snap)
            drawn = drawer(game, rng, available)
            final = await claim_outcome(game, drawn, available, day)
            rows = play_rows(
                locked.id, locked.member_code, game, version=version, key=key, day=day,
                drawn=drawn, final=final, snap=snap, rng=rng, now=now,
            )  # fmt: skip
            written = await write_play_rows(rows)  # one round trip on PostgreSQL
            play_id, voucher = written.play_id, written.voucher
        return PlayResult(
            play_id=play_id,
            game_id=game.id,
            game_version=version,
            prize_id=final.prize_id,
            is_win=final.is_win,
            slice_index=final.slice_index,
            roll=drawn.roll,
            voucher=None if voucher is None else view(voucher, now),
            created_at=now,
        )

    # Optimistic: the member as given is live (no extra read). If it was merged into another
    # (before or while we waited for its lock), follow `merged_into` and play for that one.
    live_id: int | None = member.id
    for _ in range(MAX_MERGE_HOPS):
        if live_id is None:
            break
        try:
            return await retry_on_conflict(functools.partial(attempt, live_id))
        except _Merged:
            live_id = await live_member_id(live_id)
    raise MemberNotFound(f"no live member for member id {member.id}")


MAX_MERGE_HOPS = 8


class _Merged(Exception):
    """The locked member has been merged into another one: play again for the survivor."""
