"""Run an import: validate the whole file, then write it in batches in one transaction.

The file is streamed in batches, so memory stays bounded whatever its size. By default one
bad row means nothing is written (the transaction is rolled back, and every bad row of the
file is still reported); with `skip_bad` the good rows are written and the bad ones
reported. `dry_run` writes in a transaction that is rolled back, so the printed counts are
exactly what the import would do.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from loyalty import orders as order_service
from loyalty.clock import utcnow, vn_date
from loyalty.config import LoyaltyConfig
from loyalty.imports import members as member_import
from loyalty.imports import orders as order_import
from loyalty.imports import pgload
from loyalty.imports.problems import ImportFileError, RowProblem
from loyalty.imports.read import is_csv, read_rows
from loyalty.models import Member
from loyalty.segments.refresh import refresh_all
from loyalty.segments.rules import SegmentSpec

BATCH = 20_000  # rows per staged batch: each batch costs a few hash joins over the members
MAX_SHOWN = 1000  # bad rows printed; the rest are counted

Kind = Literal["members", "orders"]


class _DryRun(Exception):
    """Raised to roll the dry run's transaction back."""


@dataclass(slots=True)
class Outcome:
    exit_code: int
    summary: str = ""
    bad_rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)


class Progress:
    """`\\r… 120000 rows` on a terminal, at most a few times a second; silent otherwise."""

    def __init__(self, stream: TextIO | None, label: str) -> None:
        self.stream = stream if stream is not None and stream.isatty() else None
        self.label = label
        self.last = 0.0

    def show(self, rows: int, *, done: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if done or now - self.last > 0.25:
            self.last = now
            self.stream.write(f"\r{self.label}: {rows} rows")
            if done:
                self.stream.write("\n")
            self.stream.flush()


async def run_import(
    kind: Kind,
    path: Path,
    *,
    config: LoyaltyConfig,
    spec: SegmentSpec | None,
    skip_bad: bool = False,
    dry_run: bool = False,
    award_points: bool = False,
    shown: str | None = None,
    emit: Callable[[str], None] = print,
    progress: TextIO | None = sys.stderr,
    now: datetime | None = None,
) -> Outcome:
    """Import `path`; print bad rows and the summary through `emit`. `spec`: refresh the
    segments afterwards (None: leave it to the schedule).

    One pass: rows are validated and written batch by batch in one transaction; the first
    bad row (without `skip_bad`) stops the writing, the rest of the file is still checked so
    every bad row is reported, and the transaction is rolled back.
    """
    now = now or utcnow()
    shown = shown or str(path)
    outcome = Outcome(exit_code=1)
    checker = _Checker(outcome, shown, emit)
    try:
        if kind == "orders" and award_points:
            await _scan(kind, path, shown, now, checker, progress)
            if outcome.bad_rows and not skip_bad:
                return checker.stopped()
            good = (row for _n, row, problems in _parsed(kind, path, shown, now) if not problems)
            summary = await _award_orders(good, config, now, dry_run, checker, progress)
        else:
            written = await _write(
                kind, path, shown, now, checker, progress, skip_bad, dry_run, config
            )
            if written is None:
                return checker.stopped()
            summary = written
    except ImportFileError as exc:
        emit(str(exc.problem))
        return Outcome(1, bad_rows=1, problems=[exc.problem])
    prefix = "dry run, nothing written: " if dry_run else ""
    emit(prefix + summary)
    if outcome.bad_rows:
        emit(f"{outcome.bad_rows} bad row(s) skipped")
    if spec is not None and not dry_run:
        counts = await refresh_all(spec)
        emit(f"segments refreshed: {counts.get('all', 0)} members")
    outcome.summary = summary
    outcome.exit_code = 0
    return outcome


class _Checker:
    """Collects bad rows: prints the first `MAX_SHOWN`, counts them all."""

    def __init__(self, outcome: Outcome, shown: str, emit: Callable[[str], None]) -> None:
        self.outcome = outcome
        self.shown = shown
        self.emit = emit

    def report(self, problem: RowProblem) -> None:
        if len(self.outcome.problems) < MAX_SHOWN:
            self.outcome.problems.append(problem)
            self.emit(str(problem))

    def bad_row(self, problems: list[RowProblem]) -> None:
        self.outcome.bad_rows += 1
        for problem in problems:
            self.report(problem)

    def stopped(self) -> Outcome:
        if self.outcome.bad_rows > len(self.outcome.problems):
            self.emit(f"… and more: {self.outcome.bad_rows} bad row(s) in all")
        self.emit(
            f"{self.outcome.bad_rows} bad row(s): nothing was written (fix them or --skip-bad)"
        )
        return self.outcome

    async def unknown_codes(self, batch: list[tuple[int, Any]]) -> set[int]:
        """Rows (by number) of orders whose member code no member has."""
        wanted = {row.member_code for _n, row in batch if getattr(row, "member_code", None)}
        if not wanted:
            return set()
        known = set(
            await Member.filter(member_code__in=sorted(wanted)).values_list(
                "member_code", flat=True
            )
        )
        bad: set[int] = set()
        for row_no, row in batch:
            if row.member_code and row.member_code not in known:
                bad.add(row_no)
                self.bad_row(
                    [
                        RowProblem(
                            self.shown, row_no, "member_code",
                            f"no member has the code {row.member_code}",
                            "check the code, or give the customer's phone instead",
                        )
                    ]
                )  # fmt: skip
        return bad


async def _checked_batches(
    kind: Kind, path: Path, shown: str, now: datetime, checker: _Checker
) -> AsyncIterator[list[Any]]:
    """Batches of good rows; bad ones are reported to `checker` on the way."""
    batch: list[tuple[int, Any]] = []

    async def flush() -> list[Any]:
        bad = await checker.unknown_codes(batch) if kind == "orders" else set()
        good = [row for row_no, row in batch if row_no not in bad]
        batch.clear()
        return good

    for row_no, row, problems in _parsed(kind, path, shown, now):
        if problems:
            checker.bad_row(problems)
            continue
        batch.append((row_no, row))
        if len(batch) >= BATCH:
            yield await flush()
    if batch:
        yield await flush()


async def _scan(
    kind: Kind,
    path: Path,
    shown: str,
    now: datetime,
    checker: _Checker,
    progress: TextIO | None,
) -> None:
    bar = Progress(progress, f"checking {shown}")
    done = 0
    async for batch in _checked_batches(kind, path, shown, now, checker):
        done += len(batch)
        bar.show(done)
    bar.show(done, done=True)


async def _write(
    kind: Kind,
    path: Path,
    shown: str,
    now: datetime,
    checker: _Checker,
    progress: TextIO | None,
    skip_bad: bool,
    dry_run: bool,
    config: LoyaltyConfig,
) -> str | None:
    """The bulk path; None when bad rows stopped it (everything rolled back). PostgreSQL
    with a CSV file: the whole file staged and checked in SQL (`pgload`); otherwise
    batches checked in Python."""
    counts: Any = member_import.MemberCounts() if kind == "members" else order_import.OrderCounts()
    bar = Progress(progress, f"importing {kind}")
    write = _whole_file_pg if is_csv(path) and _is_postgres() else _in_batches
    to_refund: list[str] = []
    stopped = False
    try:
        async with in_transaction() as tx:
            done, to_refund = await write(
                kind, path, shown, now, checker, bar, skip_bad, tx, counts
            )
            if checker.outcome.bad_rows and not skip_bad:
                stopped = True
                raise _DryRun
            if dry_run:
                if to_refund:
                    counts.refunded += len(to_refund)
                to_refund = []
                raise _DryRun
    except _DryRun:
        pass
    bar.show(done, done=True)
    if stopped:
        return None
    for order_id in to_refund:  # orders the POS API recorded with points: a real refund
        result = await order_service.refund_order(order_id, config=config, now=now)
        if result.duplicate:
            counts.unchanged += 1
        else:
            counts.refunded += 1
    return str(counts)


def _is_postgres() -> bool:
    return bool(connections.get("default").capabilities.dialect == "postgres")


def _writer(kind: Kind, tx: BaseDBAsyncClient, now: datetime) -> Any:
    if kind == "members":
        return member_import.MemberWriter(tx, now)
    return order_import.OrderWriter(tx, now)


async def _in_batches(
    kind: Kind,
    path: Path,
    shown: str,
    now: datetime,
    checker: _Checker,
    bar: Progress,
    skip_bad: bool,
    tx: BaseDBAsyncClient,
    counts: Any,
) -> tuple[int, list[str]]:
    """Rows parsed in Python, written batch by batch; after the first bad row (without
    `skip_bad`) the rest is only checked. (rows done, paid orders to refund)"""
    writer = _writer(kind, tx, now)
    await writer.start()
    done = 0
    async for batch in _checked_batches(kind, path, shown, now, checker):
        if batch and not (checker.outcome.bad_rows and not skip_bad):
            await writer.write(batch, counts)
        done += len(batch)
        bar.show(done)
    await writer.finish()
    return done, list(getattr(writer, "to_refund", []))


async def _whole_file_pg(
    kind: Kind,
    path: Path,
    shown: str,
    now: datetime,
    checker: _Checker,
    bar: Progress,
    skip_bad: bool,
    tx: BaseDBAsyncClient,
    counts: Any,
) -> tuple[int, list[str]]:
    """The raw file `COPY`ed, checked in SQL, merged once (see `loyalty.imports.pgload`)."""
    done = await pgload.PgCsvStage(tx, kind, path, shown, now, checker.bad_row, bar.show).run()
    if kind == "orders":
        for problem in await pgload.unknown_codes(tx, shown):
            checker.bad_row([problem])
    if checker.outcome.bad_rows and not skip_bad:
        return done, []
    writer = _writer(kind, tx, now)
    await writer.start()
    if kind == "members":
        await pgload.stage_members(tx)
    else:
        await pgload.stage_orders(tx)
    await writer.write_staged(counts)
    await writer.finish()
    return done, list(getattr(writer, "to_refund", []))


def _aliases(kind: Kind) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    if kind == "members":
        return member_import.ALIASES, member_import.REQUIRED
    return order_import.ALIASES, order_import.REQUIRED


def _parsed(
    kind: Kind, path: Path, shown: str, now: datetime
) -> Iterator[tuple[int, Any, list[RowProblem]]]:
    aliases, required = _aliases(kind)
    today = vn_date(now)
    for row_no, raw in read_rows(path, shown, aliases, required):
        if kind == "members":
            yield (row_no, *member_import.parse_row(shown, row_no, raw, today))
        else:
            yield (row_no, *order_import.parse_row(shown, row_no, raw, now))


def _batches(rows: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def _award_orders(
    rows: Iterator[Any],
    config: LoyaltyConfig,
    now: datetime,
    dry_run: bool,
    checker: _Checker,
    progress: TextIO | None,
) -> str:
    """One order at a time through the POS API's own service: points, tiers, rewards."""
    from loyalty.models import Order

    counts = order_import.OrderCounts()
    bar = Progress(progress, "importing orders with points")
    done = 0
    for batch in _batches(rows):
        if not dry_run:  # the batch's new customers first, with source `import`
            phones = sorted({r.phone for r in batch if r.phone})
            async with in_transaction() as tx:
                writer = member_import.MemberWriter(tx, now)
                await writer.start()
                await writer.write([member_import.MemberRow(phone=p) for p in phones])
                await writer.finish()
        for row in batch:
            done += 1
            stored = await Order.get_or_none(order_id=row.order_id)
            if dry_run:
                if stored is None:
                    counts.new += row.status != "refunded"
                    counts.refunded += row.status == "refunded"
                elif row.status == "refunded" and stored.status == "paid":
                    counts.refunded += 1
                else:
                    counts.unchanged += 1
                continue
            refunded = False
            if stored is None and row.status != "cancelled":
                if row.member_code and not await Member.exists(member_code=row.member_code):
                    continue  # reported by the check (with --skip-bad)
                result = await order_service.record_order(
                    row.order_id,
                    row.amount,
                    config=config,
                    member_code=row.member_code,
                    phone=row.phone,
                    paid_at=row.paid_at,
                    now=now,
                    source=row.source or "import",
                )
                if row.status != "refunded":
                    counts.new += not result.duplicate
                    counts.unchanged += result.duplicate
            elif stored is None:  # cancelled: history only, never points
                async with in_transaction() as tx:
                    writer2 = order_import.OrderWriter(tx, now)
                    await writer2.start()
                    await writer2.write([row], counts)
                    await writer2.finish()
                continue
            if row.status == "refunded":
                refund = await order_service.refund_order(row.order_id, config=config, now=now)
                refunded = not refund.duplicate
                counts.refunded += refunded
                counts.unchanged += not refunded
            elif stored is not None:
                counts.unchanged += 1
            bar.show(done)
    bar.show(done, done=True)
    return str(counts)
