"""The PostgreSQL path for CSV files: the whole file's raw text `COPY`ed into one staging
table, checked and converted in SQL (`loyalty.imports.pgcheck`), then merged once.

Python reads the CSV (header names, `;` or `,`, BOM, row numbers) and streams the raw cells
to `COPY`; it parses only the rows the SQL fast path does not accept, so an unusual value
is still read, and a bad one gets the same `FILE:ROW column: …` line as on SQLite. The
merge is one set of statements for the whole file instead of one per batch: each of them
joins the staged rows with the big tables once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from loyalty import codes
from loyalty.clock import vn_date
from loyalty.imports import members as member_import
from loyalty.imports import orders as order_import
from loyalty.imports import pgcheck as c
from loyalty.imports.problems import RowProblem
from loyalty.imports.read import csv_cells

ORDER_COLUMNS = ["order_id", "phone", "member_code", "amount", "paid_at", "status", "source"]
MEMBER_COLUMNS = ["phone", "name", "birthday", "joined_at", "points", "tags"]
AMOUNT_MAX = 10**12
POINTS_MAX = 2**31 - 1


def _conn(tx: BaseDBAsyncClient) -> Any:
    return tx._connection


class PgCsvStage:
    """Raw rows → `imp_fast` (typed, one row per good file row, with its row number)."""

    def __init__(
        self,
        tx: BaseDBAsyncClient,
        kind: str,
        path: Path,
        shown: str,
        now: datetime,
        bad_row: Callable[[list[RowProblem]], None],
        progress: Callable[[int], None],
    ) -> None:
        self.tx, self.kind, self.path, self.shown, self.now = tx, kind, path, shown, now
        self.bad_row = bad_row
        self.progress = progress
        self.columns = MEMBER_COLUMNS if kind == "members" else ORDER_COLUMNS
        self.parsed_in_python = 0  # rows the SQL fast path left to the Python parser

    async def run(self) -> int:
        """Stage the file; report bad rows (in file order); the number of rows read."""
        conn = _conn(self.tx)
        raw_cols = ", ".join(f"{col} TEXT" for col in self.columns)
        await self.tx.execute_query(
            f"CREATE TEMP TABLE imp_raw (row_no INT, {raw_cols}) ON COMMIT DROP"
        )
        aliases, required = (
            (member_import.ALIASES, member_import.REQUIRED)
            if self.kind == "members"
            else (order_import.ALIASES, order_import.REQUIRED)
        )
        counted = _Counted(
            csv_cells(self.path, self.shown, aliases, required, self.columns), self.progress
        )
        await conn.copy_records_to_table(
            "imp_raw", records=counted, columns=["row_no", *self.columns]
        )
        await self.tx.execute_query(
            _MEMBERS_TYPED if self.kind == "members" else _ORDERS_TYPED,
            [vn_date(self.now)] if self.kind == "members" else [self.now],
        )
        await self._fallback(conn)
        await self.tx.execute_query("ANALYZE imp_fast")
        return counted.n

    async def _fallback(self, conn: Any) -> None:
        """Rows the fast path did not accept: parsed in Python, the good ones added."""
        rows = await conn.fetch(
            f"SELECT r.row_no, {', '.join('r.' + col for col in self.columns)}"
            " FROM imp_fast f JOIN imp_raw r ON r.row_no = f.row_no WHERE NOT f.ok"
            " ORDER BY r.row_no"
        )
        if not rows:
            return
        self.parsed_in_python = len(rows)
        await self.tx.execute_query("DELETE FROM imp_fast WHERE NOT ok")
        today = vn_date(self.now)
        good: list[tuple[Any, ...]] = []
        for row in rows:
            raw = {col: row[col] for col in self.columns if row[col] is not None}
            row_no = int(row["row_no"])
            if self.kind == "members":
                member, problems = member_import.parse_row(self.shown, row_no, raw, today)
                if member is not None:
                    good.append(_member_record(row_no, member))
            else:
                order, problems = order_import.parse_row(self.shown, row_no, raw, self.now)
                if order is not None:
                    good.append(_order_record(row_no, order))
            if problems:
                self.bad_row(problems)
        if good:
            names = MEMBER_FAST if self.kind == "members" else ORDER_FAST
            await conn.copy_records_to_table("imp_fast", records=good, columns=names)


class _Counted:
    """The raw rows, counted on the way for the progress line."""

    def __init__(self, rows: Iterator[tuple[Any, ...]], progress: Callable[[int], None]):
        self.rows = rows
        self.progress = progress
        self.n = 0

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for row in self.rows:
            self.n += 1
            if self.n % 50_000 == 0:
                self.progress(self.n)
            yield row


ORDER_FAST = [
    "row_no", "order_id", "phone", "member_code", "amount", "paid_at", "paid_iso", "status",
    "source", "ok",
]  # fmt: skip
MEMBER_FAST = ["row_no", "phone", "name", "birthday", "joined_at", "points", "tags", "ok"]


def _order_record(row_no: int, r: order_import.OrderRow) -> tuple[Any, ...]:
    iso = r.paid_at.isoformat() if r.paid_at else None
    return (
        row_no, r.order_id, r.phone, r.member_code, r.amount, r.paid_at, iso, r.status,
        r.source, True,
    )  # fmt: skip


def _member_record(row_no: int, r: member_import.MemberRow) -> tuple[Any, ...]:
    return (
        row_no, r.phone, r.name, r.birthday, r.joined_at, r.points, r.tags or None, True,
    )  # fmt: skip


def _fenced(select: str, source: str) -> str:
    """`OFFSET 0` keeps PostgreSQL from folding the subquery into its readers: each value
    (a regular expression's match, mostly) is computed once, not once per reference."""
    return f"SELECT {select} FROM ({source}) x OFFSET 0"


def _orders_typed() -> str:
    """`imp_fast` from `imp_raw`: values, and `ok` when every value took the fast path.
    $1: now (no payment in the future)."""
    matched = (
        "SELECT r.row_no,"
        f" CASE WHEN {c.plain('r.order_id')} THEN {c.text('r.order_id')} END AS order_id,"
        f" CASE WHEN {c.empty('r.member_code')} THEN NULL"
        f" ELSE {c.member_code('r.member_code')} END AS member_code,"
        f" NOT {c.empty('r.member_code')} AS by_code,"
        f" CASE WHEN {c.empty('r.phone')} THEN NULL ELSE {c.phone('r.phone')} END AS phone,"
        f" {c.amount('r.amount', 1, AMOUNT_MAX)} AS amount,"
        f" {c.empty('r.paid_at')} AS no_date, r.paid_at, {c.date_form('r.paid_at')} AS form,"
        f" {c.status('r.status')} AS status,"
        f" {c.plain('r.source')} AS source_ok, left({c.text('r.source')}, 32) AS source"
        " FROM imp_raw r OFFSET 0"
    )
    keep = "x.row_no, x.order_id, x.member_code, x.by_code, x.phone, x.amount, x.no_date,"
    keep += " x.status, x.source_ok, x.source"
    with_parts = _fenced(f"{keep}, {c.parts('x.paid_at', 'x.form')} AS p", matched)
    with_time = _fenced(f"{keep}, {c.moment('x.p')} AS paid_at", with_parts)
    ok = (
        "y.order_id IS NOT NULL AND char_length(y.order_id) <= 128"
        " AND y.order_id !~ '[\\x01-\\x1f]' AND y.amount IS NOT NULL AND y.status IS NOT NULL"
        " AND y.source_ok"
        " AND (CASE WHEN y.by_code THEN y.member_code IS NOT NULL ELSE y.phone IS NOT NULL END)"
        " AND (y.no_date OR (y.paid_at IS NOT NULL"
        " AND EXTRACT(YEAR FROM y.paid_at AT TIME ZONE 'UTC') >= 2000"
        " AND y.paid_at <= CAST($1 AS TIMESTAMPTZ)))"
    )
    return (
        "CREATE TEMP TABLE imp_fast ON COMMIT DROP AS SELECT y.row_no, y.order_id,"
        " CASE WHEN y.by_code THEN NULL ELSE y.phone END AS phone, y.member_code,"
        f" y.amount, y.paid_at, {c.utc_iso('y.paid_at')} AS paid_iso, y.status, y.source,"
        f" COALESCE({ok}, FALSE) AS ok FROM ({with_time}) y"
    )


def _members_typed() -> str:
    """$1: today in Vietnam (birthdays up to today, joining dates up to this year)."""
    matched = (
        "SELECT r.row_no,"
        f" CASE WHEN {c.empty('r.phone')} THEN NULL ELSE {c.phone('r.phone')} END AS phone,"
        f" {c.plain('r.name')} AS name_ok, {c.text('r.name')} AS name,"
        f" {c.empty('r.birthday')} AS no_birthday, r.birthday, {c.date_form('r.birthday')} AS bf,"
        f" {c.empty('r.joined_at')} AS no_joined, r.joined_at, {c.date_form('r.joined_at')} AS jf,"
        f" {c.empty('r.points')} AS no_points, {c.amount('r.points', 0, POINTS_MAX)} AS points,"
        f" {c.empty('r.tags')} AS no_tags"
        " FROM imp_raw r OFFSET 0"
    )
    keep = "x.row_no, x.phone, x.name_ok, x.name, x.no_birthday, x.no_joined, x.no_points,"
    keep += " x.points, x.no_tags"
    with_parts = _fenced(
        f"{keep}, {c.parts('x.birthday', 'x.bf')} AS bp, {c.parts('x.joined_at', 'x.jf')} AS jp",
        matched,
    )
    with_time = _fenced(
        f"{keep}, CAST({c.timestamp('x.bp')} AS DATE) AS birthday,"
        f" {c.moment('x.jp')} AS joined_at",
        with_parts,
    )
    ok = (
        "y.phone IS NOT NULL AND y.name_ok AND COALESCE(char_length(y.name), 0) <= 128"
        " AND y.no_tags"
        " AND (y.no_birthday OR y.birthday BETWEEN DATE '1900-01-01' AND CAST($1 AS DATE))"
        " AND (y.no_joined OR EXTRACT(YEAR FROM y.joined_at AT TIME ZONE 'UTC')"
        " BETWEEN 1990 AND EXTRACT(YEAR FROM CAST($1 AS DATE)))"
        " AND (y.no_points OR y.points IS NOT NULL)"
    )
    return (
        "CREATE TEMP TABLE imp_fast ON COMMIT DROP AS SELECT y.row_no, y.phone, y.name,"
        " CASE WHEN y.no_birthday THEN NULL ELSE y.birthday END AS birthday,"
        " CASE WHEN y.no_joined THEN NULL ELSE y.joined_at END AS joined_at,"
        " CASE WHEN y.no_points THEN 0 ELSE y.points END AS points,"
        " CAST(NULL AS TEXT[]) AS tags,"
        f" COALESCE({ok}, FALSE) AS ok FROM ({with_time}) y"
    )


_ORDERS_TYPED = _orders_typed()
_MEMBERS_TYPED = _members_typed()


async def unknown_codes(tx: BaseDBAsyncClient, shown: str) -> list[RowProblem]:
    """Orders (by row) whose member code no member has; those rows are dropped."""
    rows = await _conn(tx).fetch(
        "DELETE FROM imp_fast f WHERE f.member_code IS NOT NULL AND NOT EXISTS"
        " (SELECT 1 FROM member m WHERE m.member_code = f.member_code)"
        " RETURNING f.row_no, f.member_code"
    )
    return [
        RowProblem(
            shown, int(r["row_no"]), "member_code", f"no member has the code {r['member_code']}",
            "check the code, or give the customer's phone instead",
        )
        for r in sorted(rows, key=lambda r: int(r["row_no"]))
    ]  # fmt: skip


def _code_sql(source: str) -> str:
    draws, code = c.new_code(codes.ALPHABET, codes.MEMBER_LENGTH)
    return (
        f"SELECT g.*, {code} AS code FROM (SELECT s.*, {draws} AS d FROM ({source}) s OFFSET 0) g"
    )


async def stage_members(tx: BaseDBAsyncClient) -> None:
    """`imp_member` (one row per phone: a later row's non-empty values win, as
    `MemberRow.merge` does) and `imp_tag` from the whole file's `imp_fast`."""
    last = "(array_agg({0} ORDER BY row_no DESC) FILTER (WHERE {0} IS NOT NULL))[1]"
    merged = (
        "SELECT phone, " + last.format("name") + " AS name, "
        + last.format("birthday") + " AS birthday, " + last.format("joined_at")
        + " AS joined_at, COALESCE((array_agg(points ORDER BY row_no DESC)"
        " FILTER (WHERE points <> 0))[1], 0) AS points FROM imp_fast GROUP BY phone"
    )  # fmt: skip
    await tx.execute_query(
        "INSERT INTO imp_member (phone, name, birthday, joined_at, points, code)"
        f" SELECT phone, name, birthday, joined_at, points, code FROM ({_code_sql(merged)}) z"
    )
    await tx.execute_query(
        "INSERT INTO imp_tag (phone, tag) SELECT DISTINCT phone, unnest(tags) FROM imp_fast"
        " WHERE tags IS NOT NULL"
    )
    await tx.execute_query("ANALYZE imp_member")
    await tx.execute_query("ANALYZE imp_tag")


async def stage_orders(tx: BaseDBAsyncClient) -> None:
    """`imp_order` (the first row of an order id stands) and the new customers' phones in
    `imp_member`, from the whole file's `imp_fast`."""
    await tx.execute_query(
        "INSERT INTO imp_order (order_id, phone, member_code, amount, paid_at, paid_iso,"
        " status, source) SELECT DISTINCT ON (order_id) order_id, phone, member_code, amount,"
        " paid_at, paid_iso, status, source FROM imp_fast ORDER BY order_id, row_no"
    )
    await tx.execute_query("ANALYZE imp_order")
    phones = (
        "SELECT DISTINCT o.phone, CAST(NULL AS TEXT) AS name, CAST(NULL AS DATE) AS birthday,"
        " CAST(NULL AS TIMESTAMPTZ) AS joined_at, 0 AS points FROM imp_order o"
        " WHERE o.phone IS NOT NULL"
    )
    await tx.execute_query(
        "INSERT INTO imp_member (phone, name, birthday, joined_at, points, code)"
        f" SELECT phone, name, birthday, joined_at, points, code FROM ({_code_sql(phones)}) z"
    )
    await tx.execute_query("ANALYZE imp_member")
