"""Recompute RFM rows and segment memberships: everybody at once, or one member after an order.

`refresh_all` rewrites `member_rfm`, `rfm_cut`, `segment_member` and `segment_info` in one
transaction with set-based statements (no row is read into Python). `refresh_member` redoes
one member's rows, scoring it on the cut points of the last full refresh, so an order shows in
the member's segments at once without ranking everybody again.

An order that arrives during a full refresh on PostgreSQL: the full refresh holds an
exclusive advisory lock; `refresh_member` first notes the member in `segment_dirty`, then
takes the lock in shared mode *without waiting*. If the full refresh holds it, the member
is left noted, and the full refresh recomputes every noted member after it commits (and
again until none is left). So the order is never blocked by a refresh, and never lost by
one. On SQLite a transaction takes the database's write lock first, so the two simply run
one after the other.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from loyalty.clock import utcnow
from loyalty.models import SegmentInfo
from loyalty.segments.builtin import BASIC_NAMES, RFM_IDS, rfm_segment
from loyalty.segments.rules import SegmentSpec
from loyalty.segments.sql import (
    BUILTIN_PREDICATES,
    CUTS_INSERT,
    RFM_COLUMNS,
    Dialect,
    Params,
    full_rfm_insert,
    membership_insert,
    one_member_figures,
    rule_predicate,
    vn_day,
)

log = logging.getLogger("loyalty.segments")

REFRESH_LOCK = 0x5E6_0019  # the advisory lock of the full refresh (bigint key space)
MEMBER_LOCK_CLASS = 0x5E61  # (class, member) advisory locks: one member refreshed at a time
DRAIN_BATCH = 500
NO_CUTS_SCORE = 3  # before any full refresh: the score a lone member would get
PG_WORK_MEM = "64MB"  # the ranking sorts and hash joins of one refresh stay in memory


def dialect_of(conn: BaseDBAsyncClient) -> Dialect:
    return Dialect("postgres" if conn.capabilities.dialect == "postgres" else "sqlite")


def _memberships(
    d: Dialect, spec: SegmentSpec, now: datetime, member_id: int | None
) -> list[tuple[str, list[Any]]]:
    """The INSERT statements of every segment's rows (one member's, or everybody's)."""
    today = vn_day(now)
    out: list[tuple[str, list[Any]]] = []
    for segment_id, predicate in BUILTIN_PREDICATES.items():
        p = Params(d)
        out.append((membership_insert(p, segment_id, predicate, now, member_id), p.values))
    p = Params(d)
    out.append((membership_insert(p, None, "", now, member_id), p.values))
    for seg in spec.custom:
        p = Params(d)
        predicate = rule_predicate(p, seg.rule, today=today, first_tier=spec.first_tier)
        out.append((membership_insert(p, seg.id, predicate, now, member_id), p.values))
    return out


def segment_ids(spec: SegmentSpec) -> list[str]:
    """Every segment id in display order: basic built-ins, RFM ones, then custom ones."""
    return [*BASIC_NAMES, *RFM_IDS, *(s.id for s in spec.custom)]


async def refresh_all(spec: SegmentSpec, *, now: datetime | None = None) -> dict[str, int]:
    """Recompute every member's RFM row and every segment now; returns `{id: members}`."""
    now = now or utcnow()
    since = now - timedelta(days=spec.window_days)
    async with in_transaction() as tx:
        d = dialect_of(tx)
        if d.pg:
            await tx.execute_query(f"SELECT pg_advisory_xact_lock({REFRESH_LOCK})")
            await tx.execute_query(f"SET LOCAL work_mem = '{PG_WORK_MEM}'")
        await tx.execute_query("DELETE FROM member_rfm")
        p = Params(d)
        await tx.execute_query(full_rfm_insert(p, since, spec.first_tier, now), p.values)
        await tx.execute_query("DELETE FROM rfm_cut")
        await tx.execute_query(CUTS_INSERT)
        await _replace_memberships(tx, d, spec, now)
        rows = await tx.execute_query_dict(
            "SELECT segment_id, COUNT(*) AS n FROM segment_member GROUP BY segment_id"
        )
        found = {str(r["segment_id"]): int(r["n"]) for r in rows}
        counts = {sid: found.get(sid, 0) for sid in segment_ids(spec)}
        names = spec.names()
        await tx.execute_query("DELETE FROM segment_info")
        await SegmentInfo.bulk_create(
            [
                SegmentInfo(segment_id=sid, name=names.get(sid, sid), members=n, refreshed_at=now)
                for sid, n in counts.items()
            ],
            using_db=tx,
        )
    if d.pg:
        await _drain(spec)
    return counts


async def _replace_memberships(
    tx: BaseDBAsyncClient, d: Dialect, spec: SegmentSpec, now: datetime
) -> None:
    """Every segment's new rows go to a scratch table first; then only the difference is
    written: rows that left are deleted, rows that joined are inserted (with this refresh's
    `refreshed_at`). A refresh where little changed writes little, and readers of
    `segment_member` never see it empty."""
    if d.pg:
        await tx.execute_query(
            "CREATE TEMP TABLE IF NOT EXISTS seg_new (segment_id TEXT, member_id BIGINT,"
            " refreshed_at TIMESTAMPTZ) ON COMMIT DROP"
        )
        await tx.execute_query("TRUNCATE seg_new")
    else:
        await tx.execute_query("DROP TABLE IF EXISTS temp.seg_new")
        await tx.execute_query(
            "CREATE TEMP TABLE seg_new (segment_id TEXT, member_id BIGINT, refreshed_at TEXT)"
        )
    for sql, values in _memberships(d, spec, now, None):
        await tx.execute_query(
            sql.replace("INSERT INTO segment_member", "INSERT INTO seg_new", 1), values
        )
    if d.pg:
        await tx.execute_query("ANALYZE seg_new")
    else:
        await tx.execute_query("CREATE INDEX temp.seg_new_key ON seg_new (segment_id, member_id)")
    await tx.execute_query(
        "DELETE FROM segment_member WHERE NOT EXISTS (SELECT 1 FROM seg_new n"
        " WHERE n.segment_id = segment_member.segment_id"
        " AND n.member_id = segment_member.member_id)"
    )
    # The rows to add are picked before any is written: an anti-join reading the table it
    # inserts into would re-read its own new rows (quadratic on a big first refresh).
    await tx.execute_query(
        "DELETE FROM seg_new WHERE EXISTS (SELECT 1 FROM segment_member sm"
        " WHERE sm.segment_id = seg_new.segment_id AND sm.member_id = seg_new.member_id)"
    )
    await tx.execute_query(
        "INSERT INTO segment_member (segment_id, member_id, refreshed_at)"
        " SELECT segment_id, member_id, refreshed_at FROM seg_new"
    )
    if not d.pg:
        await tx.execute_query("DROP TABLE IF EXISTS temp.seg_new")


async def _drain(spec: SegmentSpec) -> None:
    """Recompute the members noted while the full refresh held its lock, until none is left."""
    conn = connections.get("default")
    while True:
        rows = await conn.execute_query_dict(
            f"SELECT member_id FROM segment_dirty ORDER BY member_id LIMIT {DRAIN_BATCH}"
        )
        if not rows:
            return
        for row in rows:
            if not await refresh_member(int(row["member_id"]), spec):
                return  # another full refresh started: it drains when it is done


async def refresh_member(
    member_id: int, spec: SegmentSpec, *, now: datetime | None = None
) -> bool:
    """Recompute one member's RFM row and segments. False when a full refresh was running
    (PostgreSQL): the member is then recomputed by that refresh, right after it commits."""
    now = now or utcnow()
    conn = connections.get("default")
    d = dialect_of(conn)
    if not d.pg:
        async with in_transaction() as tx:
            await _refresh_one(tx, d, member_id, spec, now)
        return True
    await conn.execute_query(
        "INSERT INTO segment_dirty (member_id) VALUES ($1) ON CONFLICT DO NOTHING", [member_id]
    )
    async with in_transaction() as tx:
        rows = await tx.execute_query_dict(
            f"SELECT pg_try_advisory_xact_lock_shared({REFRESH_LOCK}) AS ok"
        )
        if not rows[0]["ok"]:
            return False
        await tx.execute_query(
            f"SELECT pg_advisory_xact_lock({MEMBER_LOCK_CLASS}, $1)", [member_id % 2**31]
        )
        await _refresh_one(tx, d, member_id, spec, now)
        await tx.execute_query("DELETE FROM segment_dirty WHERE member_id = $1", [member_id])
    return True


def _score(value: int, cuts: dict[int, int]) -> int:
    """The highest score whose lowest value at the last full refresh is at most `value`."""
    if not cuts:
        return NO_CUTS_SCORE
    reached = [score for score, low in cuts.items() if value >= low]
    return max(reached) if reached else 1


async def _refresh_one(
    tx: BaseDBAsyncClient, d: Dialect, member_id: int, spec: SegmentSpec, now: datetime
) -> None:
    def ph(i: int) -> str:
        return f"${i}" if d.pg else f"?{i}"

    p = Params(d)
    since = now - timedelta(days=spec.window_days)
    sql = one_member_figures(p, since, spec.first_tier, member_id)
    figures = await tx.execute_query_dict(sql, p.values)
    old = await tx.execute_query_dict(
        f"SELECT segment_id FROM segment_member WHERE member_id = {ph(1)}", [member_id]
    )
    await tx.execute_query(f"DELETE FROM segment_member WHERE member_id = {ph(1)}", [member_id])
    await tx.execute_query(f"DELETE FROM member_rfm WHERE member_id = {ph(1)}", [member_id])
    if figures:
        row = figures[0]
        r = f = m = segment = None
        if row["last_order_day"] is not None:
            cut_rows = await tx.execute_query_dict(
                "SELECT dimension, score, min_value FROM rfm_cut"
            )
            cuts: dict[str, dict[int, int]] = {"r": {}, "f": {}, "m": {}}
            for c in cut_rows:
                cuts[str(c["dimension"])][int(c["score"])] = int(c["min_value"])
            r = _score(int(row["last_order_day"]), cuts["r"])
            f = _score(int(row["orders_window"]), cuts["f"])
            m = _score(int(row["spend_window"]), cuts["m"])
            segment = rfm_segment(r, f, m)
        values = [
            member_id,
            int(row["orders_total"]),
            int(row["spend_total"]),
            int(row["orders_window"]),
            int(row["spend_window"]),
            row["last_order_day"],
            r,
            f,
            m,
            segment,
            row["stage"],
            d.ts(now),
        ]
        marks = ", ".join(ph(i + 1) for i in range(len(values)))
        await tx.execute_query(f"INSERT INTO member_rfm ({RFM_COLUMNS}) VALUES ({marks})", values)
        for sql, params in _memberships(d, spec, now, member_id):
            await tx.execute_query(sql, params)
    new = await tx.execute_query_dict(
        f"SELECT segment_id FROM segment_member WHERE member_id = {ph(1)}", [member_id]
    )
    before = {str(x["segment_id"]) for x in old}
    after = {str(x["segment_id"]) for x in new}
    for ids, step in ((after - before, 1), (before - after, -1)):
        if ids:
            marks = ", ".join(ph(i + 1) for i in range(len(ids)))
            await tx.execute_query(
                f"UPDATE segment_info SET members = members + ({step})"
                f" WHERE segment_id IN ({marks})",
                sorted(ids),
            )
