"""The draw log as a hash chain per campaign: sealed after the play, verified on demand.

A play writes its draw log row and a line in `draw_unsealed` in its own transaction, and
nothing more: chaining inside the play would make every play of a campaign wait for the one
before it to commit (the chain head is one row). `seal` appends the waiting rows of a
campaign to its chain in draw-log id order, each entry holding the SHA-256 of the row's
canonical content and of the previous entry. It runs periodically (`seal_all`), and before
`verify` and the public page read. Until sealed, a draw is protected by the triggers only:
that window is the sealing period (the README says what is guaranteed).

`verify` walks the chain: an edited row no longer matches its content hash, a deleted row
leaves its entry pointing at nothing, a changed or removed entry breaks the links after it,
and a row that never got an entry is reported too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from loyalty.models import DrawChain, DrawUnsealed
from loyalty.rawsql import fetch, is_postgres

GENESIS = "0" * 64
SEAL_BATCH = 1000
_DRAW_COLUMNS = (
    "d.id, d.play_id, d.member_id, d.member_code, d.game_id, d.game_version, d.available,"
    " d.rng, d.roll, d.drawn_prize_id, d.prize_id, d.is_win, d.detail, d.created_at"
)


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str | bytes) else value


def _instant(value: Any) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:  # SQLite may hand back a naive UTC time
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(row: Mapping[str, Any]) -> bytes:
    """A draw log row as bytes that read the same from SQLite and PostgreSQL."""
    roll = row["roll"]
    content = [
        int(row["id"]),
        int(row["play_id"]),
        int(row["member_id"]),
        row["member_code"],
        row["game_id"],
        row["game_version"],
        _json_value(row["available"]),
        row["rng"],
        None if roll is None else float(roll),
        row["drawn_prize_id"],
        row["prize_id"],
        bool(row["is_win"]),
        _json_value(row["detail"]),
        _instant(row["created_at"]),
    ]
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def link(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{content}".encode()).hexdigest()


async def _head(game_id: str) -> tuple[int, str]:
    rows = await fetch(
        "SELECT seq, entry_hash FROM draw_chain WHERE game_id = ? ORDER BY seq DESC LIMIT 1",
        game_id,
    )
    return (int(rows[0]["seq"]), rows[0]["entry_hash"]) if rows else (0, GENESIS)


async def chain_head(game_id: str) -> tuple[int, str]:
    """(entries, the last entry's hash) of a campaign's chain; (0, GENESIS) when empty."""
    return await _head(game_id)


async def seal(game_id: str, *, now: datetime | None = None, batch: int = SEAL_BATCH) -> int:
    """Append this campaign's waiting draws to its chain; returns how many were sealed."""
    if not await fetch("SELECT 1 AS one FROM draw_unsealed WHERE game_id = ? LIMIT 1", game_id):
        return 0
    sealed = 0
    while True:
        async with in_transaction():
            if is_postgres():  # one sealer per campaign at a time; SQLite has one writer
                await fetch(
                    "SELECT pg_advisory_xact_lock(hashtext(?)) AS locked", "chain:" + game_id
                )
            rows = await fetch(
                f"SELECT {_DRAW_COLUMNS} FROM draw_unsealed u JOIN draw_log d"
                " ON d.id = u.draw_log_id WHERE u.game_id = ? ORDER BY u.draw_log_id LIMIT ?",
                game_id,
                batch,
            )
            if not rows:
                return sealed
            seq, prev = await _head(game_id)
            at = now or datetime.now(UTC)
            entries = []
            for row in rows:
                seq += 1
                digest = content_hash(row)
                entry = link(prev, digest)
                entries.append(
                    DrawChain(
                        game_id=game_id,
                        seq=seq,
                        draw_log_id=int(row["id"]),
                        content_hash=digest,
                        prev_hash=prev,
                        entry_hash=entry,
                        sealed_at=at,
                    )
                )
                prev = entry
            await DrawChain.bulk_create(entries)
            await DrawUnsealed.filter(draw_log_id__in=[e.draw_log_id for e in entries]).delete()
            sealed += len(entries)
        if len(rows) < batch:
            return sealed


async def seal_all(*, now: datetime | None = None) -> int:
    """Seal every campaign's waiting draws (the periodic job)."""
    games = await fetch("SELECT DISTINCT game_id FROM draw_unsealed")
    total = 0
    for row in games:
        total += await seal(row["game_id"], now=now)
    return total


@dataclass(frozen=True, slots=True)
class Broken:
    seq: int | None  # the chain entry (None: a draw that has no entry)
    draw_log_id: int | None
    play_id: int | None
    reason: str

    def describe(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "a draw without an entry"
        ids = []
        if self.draw_log_id is not None:
            ids.append(f"draw_log id {self.draw_log_id}")
        if self.play_id is not None:
            ids.append(f"play {self.play_id}")
        return f"{where} ({', '.join(ids)}): {self.reason}"


@dataclass(frozen=True, slots=True)
class Verified:
    game_id: str
    draws: int
    head: str
    broken: Broken | None

    @property
    def ok(self) -> bool:
        return self.broken is None


async def verify(game_id: str, *, batch: int = 5000) -> Verified:
    """Seal what waits, then check every entry of the campaign's chain, in order."""
    await seal(game_id)
    expected_prev, expected_seq, last_id = GENESIS, 0, 0
    while True:
        rows = await fetch(
            "SELECT c.seq AS seq, c.draw_log_id AS entry_draw, c.content_hash AS content_hash,"
            " c.prev_hash AS prev_hash, c.entry_hash AS entry_hash, c.id AS entry_id,"
            f" {_DRAW_COLUMNS} FROM draw_chain c LEFT JOIN draw_log d ON d.id = c.draw_log_id"
            " WHERE c.game_id = ? AND c.id > ? ORDER BY c.id LIMIT ?",
            game_id,
            last_id,
            batch,
        )
        for row in rows:
            expected_seq += 1
            problem = _check(row, expected_seq, expected_prev)
            if problem is not None:
                return Verified(game_id, expected_seq - 1, expected_prev, problem)
            expected_prev = row["entry_hash"]
            last_id = int(row["entry_id"])
        if len(rows) < batch:
            break
    missing = await fetch(
        "SELECT d.id AS id, d.play_id AS play_id FROM draw_log d WHERE d.game_id = ?"
        " AND NOT EXISTS (SELECT 1 FROM draw_chain c WHERE c.draw_log_id = d.id)"
        " ORDER BY d.id LIMIT 1",
        game_id,
    )
    if missing:
        row = missing[0]
        gap = Broken(None, int(row["id"]), int(row["play_id"]), "this draw was never sealed")
        return Verified(game_id, expected_seq, expected_prev, gap)
    return Verified(game_id, expected_seq, expected_prev, None)


def _check(row: Mapping[str, Any], seq: int, prev: str) -> Broken | None:
    draw_id = int(row["entry_draw"])
    play_id = None if row["play_id"] is None else int(row["play_id"])
    if int(row["seq"]) != seq:
        return Broken(int(row["seq"]), draw_id, play_id, f"expected entry {seq} here")
    if row["prev_hash"] != prev:
        return Broken(seq, draw_id, play_id, "does not link to the entry before it")
    if row["id"] is None:
        return Broken(seq, draw_id, None, "its draw log row is gone")
    if content_hash(row) != row["content_hash"]:
        return Broken(seq, draw_id, play_id, "the draw log row was changed after sealing")
    if link(prev, row["content_hash"]) != row["entry_hash"]:
        return Broken(seq, draw_id, play_id, "the entry's own hash does not match")
    return None


SEAL_EVERY_SECONDS = 60


async def seal_draws_job(ctx: dict[str, Any]) -> int:
    """The periodic job (`bot/jobs.py`: every SEAL_EVERY_SECONDS): seal every campaign."""
    return await seal_all()
