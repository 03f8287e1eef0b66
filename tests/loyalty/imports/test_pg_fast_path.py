"""PostgreSQL's SQL check reads every value exactly as the Python parser does.

The staged rows (fast path or Python fallback) must equal `parse_row` of the same cells,
row by row, and the bad rows must get the same lines. The values are the forms exports
write plus near misses (a day that does not exist, a space that is not a space, NFD text).
"""

from __future__ import annotations

import csv
import itertools
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from loyalty.clock import vn_date
from loyalty.imports import members as member_import
from loyalty.imports import orders as order_import
from loyalty.imports.pgload import MEMBER_FAST, ORDER_FAST, PgCsvStage
from loyalty.imports.problems import RowProblem

NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
PHONES = [
    "0912345678", "84912345678", "+84 912 345 678", "+84 0912345678", "0084912345678",
    "912345678", "912.345.678", "(091) 234-5678", "02123456789", "0212345678", "+1 2125550100",
    "0812345678", "08123456789", "abc", " 0912345678 ", "\t0912345678", "\u00a00912345678",
    "０９１２３４５６７８", "09-12-34-56-78", "+840912345678", "840912345678", "0012345678",
]  # fmt: skip
AMOUNTS = [
    "1250000", "1.250.000", "1,250,000", "1 250 000", "1250000đ", "1.250", "0", "-5", "1e6",
    "1.5", "1000000000001", "1000000000000", "12,50", "00012", "1,250.000", " 99 ", "",
]  # fmt: skip
DATES = [
    "2024-03-25", "25/03/2024", "25/03/2024 14:30", "25/03/2024 14:30:15", "2024-03-25T14:30:00",
    "2024-03-25 14:30:00.123", "31/02/2024", "29/02/2024", "29/02/2023", "45000", "2024-13-01",
    "1999-12-31 23:00", "2000-01-01 06:59", "2000-01-01 07:00", "25-03-2024", "25.03.2024", "",
    "2024-3-5", "25/03/2024 24:00", "01/12/2026 12:30", "01/12/2026 11:59", "2024-03-25 9:05",
    "2024-03-25T14:30:00+07:00", "0000-01-01", "1/1/1990", "25/03/2024 14:30:15.5",
]  # fmt: skip
STATUSES = ["", "paid", "PAID ", "Đã thanh toán", "hoan tien", "da huy", "void", "xyz", "da  huy"]
NAMES = [
    "Lan", "Khách 1", unicodedata.normalize("NFD", "Khách 2"), "\u00a0An", "Bình\u3000", "",
    "x" * 128, "y" * 129, "  Hà  Nội  ", "Tab\tinside",
]  # fmt: skip
TAGS = ["", "vip", "khách sỉ;hà nội", " , ", "x" * 65]
POINTS = ["", "0", "150", "1.500", "2147483647", "2147483648", "-1", "abc"]
SOURCES = ["", "Shopee", "Cửa hàng"]
CODES = ["", "", "", "", "ABCD1234", "abcd-1234", "TOOLONGCODE12345", "MÃ1"]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(rows)


async def _stage(kind: str, path: Path) -> tuple[list[dict[str, Any]], list[RowProblem], int]:
    """The staged rows, the bad rows' lines, and how many rows the SQL did not read itself."""
    problems: list[RowProblem] = []
    try:
        async with in_transaction() as tx:
            stage = PgCsvStage(tx, kind, path, path.name, NOW, problems.extend, lambda n: None)
            await stage.run()
            cols = MEMBER_FAST if kind == "members" else ORDER_FAST
            rows = await tx.execute_query_dict(
                f"SELECT {', '.join(cols)} FROM imp_fast ORDER BY row_no"
            )
            slow = stage.parsed_in_python
            raise _Rollback
    except _Rollback:
        pass
    return rows, problems, slow


class _Rollback(Exception):
    pass


@pytest.fixture
def pg_only(db: str) -> None:
    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip("the SQL check is PostgreSQL's")


async def test_orders_are_read_as_python_reads_them(pg_only: None, tmp_path: Path) -> None:
    header = ["order_id", "phone", "member_code", "amount", "paid_at", "status", "source"]
    cells = [
        [f"HD{i}", phone, CODES[i % len(CODES)], amount, when, status, SOURCES[i % 3]]
        for i, (phone, amount, when, status) in enumerate(
            zip(
                itertools.islice(itertools.cycle(PHONES), 600),
                itertools.islice(itertools.cycle(AMOUNTS), 600),
                itertools.islice(itertools.cycle(DATES), 600),
                itertools.islice(itertools.cycle(STATUSES), 600),
                strict=True,
            )
        )
    ]  # fmt: skip
    cells += [
        [" HD x ", "0912345678", "", "5000", "", "", ""],
        ["", "0912345678", "", "1", "", "", ""],
    ]
    clean = [
        [f"C{i}", f"09{i:08d}", "", f"{1000 * i:,}", f"0{i % 9 + 1}/11/2026 1{i % 5}:30", "", ""]
        for i in range(1, 151)
    ]  # fmt: skip
    cells += clean
    path = tmp_path / "orders.csv"
    _write(path, header, cells)
    staged, problems, slow = await _stage("orders", path)
    got = {int(r["row_no"]): r for r in staged}
    expected_problems: list[RowProblem] = []
    for row_no, row in enumerate(cells, start=2):
        raw = dict(zip(header, row, strict=True))
        parsed, bad = order_import.parse_row(path.name, row_no, raw, NOW)
        expected_problems += bad
        if parsed is None:
            assert row_no not in got, (raw, got.get(row_no))
            continue
        r = got[row_no]
        iso = parsed.paid_at.isoformat() if parsed.paid_at else None
        want = (
            parsed.order_id, parsed.phone, parsed.member_code, parsed.amount, parsed.paid_at,
            iso, parsed.status, parsed.source,
        )  # fmt: skip
        have = (
            r["order_id"], r["phone"], r["member_code"], r["amount"], r["paid_at"],
            r["paid_iso"], r["status"], r["source"],
        )  # fmt: skip
        assert have == want, raw
    assert [str(p) for p in problems] == [str(p) for p in expected_problems]
    assert len(got) > 100 and len(expected_problems) > 100  # both kinds well represented
    assert len(cells) - slow >= len(clean)  # the common forms were read by the SQL itself


async def test_members_are_read_as_python_reads_them(pg_only: None, tmp_path: Path) -> None:
    header = ["phone", "name", "birthday", "joined_at", "points", "tags"]
    n = 500
    cycles = [itertools.islice(itertools.cycle(v), n) for v in (PHONES, NAMES, DATES, POINTS)]
    cells = [
        [phone, name, born, DATES[(i * 7) % len(DATES)], points, TAGS[i % 5] if i % 3 else ""]
        for i, (phone, name, born, points) in enumerate(zip(*cycles, strict=True))
    ]  # fmt: skip
    clean = [
        [
            f"09{i:08d}",
            f"Khách {i}",
            f"{i % 28 + 1:02d}/0{i % 9 + 1}/1990",
            "",
            str(i % 3 * 50),
            "",
        ]
        for i in range(1, 151)
    ]
    cells += clean
    path = tmp_path / "members.csv"
    _write(path, header, cells)
    staged, problems, slow = await _stage("members", path)
    got = {int(r["row_no"]): r for r in staged}
    today = vn_date(NOW)
    expected_problems: list[RowProblem] = []
    for row_no, row in enumerate(cells, start=2):
        raw = dict(zip(header, row, strict=True))
        parsed, bad = member_import.parse_row(path.name, row_no, raw, today)
        expected_problems += bad
        if parsed is None:
            assert row_no not in got, (raw, got.get(row_no))
            continue
        r = got[row_no]
        want = (parsed.phone, parsed.name, parsed.birthday, parsed.joined_at, parsed.points)
        have = (r["phone"], r["name"], r["birthday"], r["joined_at"], r["points"])
        assert have == want, raw
        assert list(r["tags"] or []) == parsed.tags, raw
    assert [str(p) for p in problems] == [str(p) for p in expected_problems]
    assert len(got) > 50 and len(expected_problems) > 50
    assert len(cells) - slow >= len(clean)
