"""Run an import: validate the whole file, then write it in batches in one transaction.

Two passes over the file keep memory bounded whatever its size: the first only validates
(and prints every bad row), the second writes. By default one bad row stops everything
before anything is written; with `skip_bad` the good rows are written and the bad ones
reported. `dry_run` writes in a transaction that is rolled back, so the printed counts are
exactly what the import would do.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from tortoise.transactions import in_transaction

from loyalty import orders as order_service
from loyalty.clock import utcnow, vn_date
from loyalty.config import LoyaltyConfig
from loyalty.imports import members as member_import
from loyalty.imports import orders as order_import
from loyalty.imports.problems import ImportFileError, RowProblem
from loyalty.imports.read import read_rows
from loyalty.models import Member
from loyalty.segments.refresh import refresh_all
from loyalty.segments.rules import SegmentSpec

BATCH = 5000
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
    segments afterwards (None: leave it to the schedule)."""
    now = now or utcnow()
    shown = shown or str(path)
    try:
        outcome = await _validate(kind, path, shown, now, emit, progress)
        if outcome.bad_rows and not skip_bad:
            emit(f"{outcome.bad_rows} bad row(s): nothing was written (fix them or --skip-bad)")
            return outcome
        good = _good_rows(kind, path, shown, now)
        if kind == "members":
            summary = await _write_members(good, now, dry_run, progress)
        elif award_points:
            summary = await _award_orders(good, config, now, dry_run, progress)
        else:
            summary = await _write_orders(good, config, now, dry_run, progress)
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


def _good_rows(kind: Kind, path: Path, shown: str, now: datetime) -> Iterator[Any]:
    for _row_no, row, _problems in _parsed(kind, path, shown, now):
        if row is not None:
            yield row


async def _validate(
    kind: Kind,
    path: Path,
    shown: str,
    now: datetime,
    emit: Callable[[str], None],
    progress: TextIO | None,
) -> Outcome:
    outcome = Outcome(exit_code=1)
    bar = Progress(progress, f"checking {shown}")
    pending_codes: dict[str, int] = {}  # member codes to look up, by row
    rows = 0

    def report(problem: RowProblem) -> None:
        if len(outcome.problems) < MAX_SHOWN:
            outcome.problems.append(problem)
            emit(str(problem))

    async def check_codes() -> None:
        known = set(
            await Member.filter(member_code__in=list(pending_codes)).values_list(
                "member_code", flat=True
            )
        )
        for code, row_no in pending_codes.items():
            if code not in known:
                outcome.bad_rows += 1
                report(
                    RowProblem(
                        shown,
                        row_no,
                        "member_code",
                        f"no member has the code {code}",
                        "check the code, or give the customer's phone instead",
                    )
                )
        pending_codes.clear()

    for row_no, row, problems in _parsed(kind, path, shown, now):
        rows += 1
        if problems:
            outcome.bad_rows += 1
            for problem in problems:
                report(problem)
        elif kind == "orders" and row.member_code:
            pending_codes.setdefault(row.member_code, row_no)
            if len(pending_codes) >= BATCH:
                await check_codes()
        bar.show(rows)
    if pending_codes:
        await check_codes()
    bar.show(rows, done=True)
    if outcome.bad_rows > len(outcome.problems):
        emit(f"… and more: {outcome.bad_rows} bad row(s) in all")
    return outcome


def _batches(rows: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def _write_members(
    rows: Iterator[Any], now: datetime, dry_run: bool, progress: TextIO | None
) -> str:
    counts = member_import.MemberCounts()
    bar = Progress(progress, "importing members")
    done = 0
    try:
        async with in_transaction() as tx:
            writer = member_import.MemberWriter(tx, now)
            await writer.start()
            for batch in _batches(rows):
                await writer.write(batch, counts)
                done += len(batch)
                bar.show(done)
            await writer.finish()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    bar.show(done, done=True)
    return str(counts)


async def _write_orders(
    rows: Iterator[Any],
    config: LoyaltyConfig,
    now: datetime,
    dry_run: bool,
    progress: TextIO | None,
) -> str:
    counts = order_import.OrderCounts()
    bar = Progress(progress, "importing orders")
    done = 0
    to_refund: list[str] = []
    try:
        async with in_transaction() as tx:
            writer = order_import.OrderWriter(tx, now)
            await writer.start()
            for batch in _batches(rows):
                await writer.write(batch, counts)
                done += len(batch)
                bar.show(done)
            await writer.finish()
            to_refund = writer.to_refund
            if dry_run:
                counts.refunded += len(to_refund)
                raise _DryRun
    except _DryRun:
        to_refund = []
    for order_id in to_refund:  # orders the POS API recorded with points: a real refund
        result = await order_service.refund_order(order_id, config=config, now=now)
        if result.duplicate:
            counts.unchanged += 1
        else:
            counts.refunded += 1
    bar.show(done, done=True)
    return str(counts)


async def _award_orders(
    rows: Iterator[Any],
    config: LoyaltyConfig,
    now: datetime,
    dry_run: bool,
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
