"""The draw log and the winner list as tables for the authority (CSV or XLSX).

Both are read in id order in batches, so a campaign of any size is exported without holding
it in memory twice; CSV is streamed as it is read, XLSX (openpyxl's write-only mode) is
built whole, then sent. Times are Vietnam time. The winner list here is the shop's own
record, with full names and phones (the public page masks them): it is behind the admin key.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook

from loyalty.clock import VN_TZ
from loyalty.rawsql import fetch

BATCH = 5000
DRAW_HEADER = (
    "seq", "draw_id", "play_id", "drawn_at", "member_code", "game_version", "rng", "roll",
    "drawn_prize_id", "prize_id", "is_win", "available", "content_hash", "entry_hash",
)  # fmt: skip
WINNER_HEADER = (
    "award_id", "won_at", "prize_id", "prize_label", "unit_value", "member_code", "name",
    "phone", "voucher_code", "voucher_redeemed_at",
)  # fmt: skip


def _vn(value: Any) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _json(value: Any) -> str:
    if value is None:
        return ""
    data = json.loads(value) if isinstance(value, str) else value
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


async def draw_rows(game_id: str) -> AsyncIterator[list[Any]]:
    """The campaign's draws in order, with their chain entry (blank while not sealed)."""
    last = 0
    while True:
        rows = await fetch(
            "SELECT d.id AS id, d.play_id, d.created_at, d.member_code, d.game_version, d.rng,"
            " d.roll, d.drawn_prize_id, d.prize_id, d.is_win, d.available, c.seq, c.content_hash,"
            " c.entry_hash FROM draw_log d LEFT JOIN draw_chain c ON c.draw_log_id = d.id"
            " WHERE d.game_id = ? AND d.id > ? ORDER BY d.id LIMIT ?",
            game_id, last, BATCH,
        )  # fmt: skip
        for r in rows:
            yield [
                r["seq"] if r["seq"] is not None else "", r["id"], r["play_id"],
                _vn(r["created_at"]), r["member_code"], r["game_version"], r["rng"],
                "" if r["roll"] is None else repr(float(r["roll"])), r["drawn_prize_id"] or "",
                r["prize_id"], "yes" if r["is_win"] else "no", _json(r["available"]),
                r["content_hash"] or "", r["entry_hash"] or "",
            ]  # fmt: skip
        if len(rows) < BATCH:
            return
        last = int(rows[-1]["id"])


async def winner_rows(
    game_id: str, labels: dict[str, tuple[str, int | None]]
) -> AsyncIterator[list[Any]]:
    """Every award of the campaign; `labels`: prize id -> (label, unit value) from the rules."""
    last = 0
    while True:
        rows = await fetch(
            "SELECT a.id AS id, a.created_at, a.prize_id, m.member_code, m.name, m.phone,"
            " v.code AS voucher_code, v.redeemed_at FROM award a"
            " JOIN member m ON m.id = a.member_id LEFT JOIN voucher v ON v.id = a.voucher_id"
            " WHERE a.game_id = ? AND a.id > ? ORDER BY a.id LIMIT ?",
            game_id, last, BATCH,
        )  # fmt: skip
        for r in rows:
            label, value = labels.get(r["prize_id"], (r["prize_id"], None))
            yield [
                r["id"], _vn(r["created_at"]), r["prize_id"], label,
                "" if value is None else value, r["member_code"], r["name"] or "",
                r["phone"] or "", r["voucher_code"] or "", _vn(r["redeemed_at"]),
            ]  # fmt: skip
        if len(rows) < BATCH:
            return
        last = int(rows[-1]["id"])


def csv_line(values: Sequence[Any]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue().encode("utf-8")


async def csv_chunks(
    header: Sequence[str], rows: AsyncIterator[list[Any]]
) -> AsyncIterator[bytes]:
    """UTF-8 with a BOM (so Excel reads the Vietnamese right), a chunk per ~500 rows."""
    yield "\ufeff".encode() + csv_line(header)
    chunk: list[bytes] = []
    async for row in rows:
        chunk.append(csv_line(row))
        if len(chunk) >= 500:
            yield b"".join(chunk)
            chunk = []
    if chunk:
        yield b"".join(chunk)


async def xlsx_bytes(title: str, header: Sequence[str], rows: AsyncIterator[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(header))
    async for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
