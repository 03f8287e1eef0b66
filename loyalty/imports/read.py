"""Stream the rows of a CSV or XLSX export, one dict per row, keyed by our column names.

Nothing is loaded whole: CSV is read line by line, XLSX through openpyxl's read-only mode.
Headers match in any case and with or without accents (`Số điện thoại`, `so dien thoai`,
`SĐT` and `phone` are one column); columns we do not know are ignored, since POS exports
carry dozens of them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from loyalty.imports.problems import ImportFileError, RowProblem
from loyalty.imports.values import fold

Row = tuple[int, dict[str, Any]]  # (row number in the file, values by column)


def _key(header: str) -> str:
    """`Paid_At`, `paid at`, `PAID-AT` → `paid at`; accents dropped."""
    return " ".join(fold(header).replace("_", " ").replace("-", " ").split())


def _aliases(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {_key(alias): column for column, aliases in table.items() for alias in aliases}


def _header_map(
    file: str, header: list[Any], aliases: Mapping[str, tuple[str, ...]], required: list[str]
) -> dict[int, str]:
    known = _aliases(aliases)
    found: dict[int, str] = {}
    for i, cell in enumerate(header):
        name = _key(str(cell or ""))
        column = known.get(name)
        if column and column not in found.values():
            found[i] = column
    for column in required:
        if column not in found.values():
            also = ", ".join(a for a in aliases[column][1:3])
            raise ImportFileError(
                RowProblem(
                    file,
                    1,
                    column,
                    "column missing from the header row",
                    f"add a column named {column}" + (f" (or {also})" if also else ""),
                )
            )
    return found


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_rows(
    path: Path,
    shown: str,
    aliases: Mapping[str, tuple[str, ...]],
    required: list[str],
) -> Iterator[Row]:
    """Yield `(row_number, {column: raw value})` for every non-empty data row."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportFileError(RowProblem(shown, 1, "(file)", "file not found", "check the path"))
    if suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path, shown, aliases, required)
    elif is_csv(path):
        yield from _csv_rows(path, shown, aliases, required)
    else:
        raise ImportFileError(
            RowProblem(
                shown, 1, "(file)", f"{suffix} files are not read", "save it as .csv or .xlsx"
            )
        )


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".txt", "")


def csv_cells(
    path: Path,
    shown: str,
    aliases: Mapping[str, tuple[str, ...]],
    required: list[str],
    columns: list[str],
) -> Iterator[tuple[Any, ...]]:
    """`(row_number, cell, …)` with the cells in `columns`' order (None: no such column),
    for every non-empty data row of a CSV file: the raw text, for a bulk load."""
    if not path.is_file():
        raise ImportFileError(RowProblem(shown, 1, "(file)", "file not found", "check the path"))
    for row_no, values in _csv_rows(path, shown, aliases, required):
        yield (row_no, *(values.get(c) for c in columns))


def _csv_rows(
    path: Path, shown: str, aliases: Mapping[str, tuple[str, ...]], required: list[str]
) -> Iterator[Row]:
    with path.open("rb") as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            first = stream.readline()
        except UnicodeDecodeError:
            raise ImportFileError(
                RowProblem(
                    shown,
                    1,
                    "(file)",
                    "is not UTF-8 text",
                    "save it as CSV UTF-8 (Excel: Save As → CSV UTF-8)",
                )
            ) from None
        delimiter = _sniff_delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter), [])
        columns = _header_map(shown, header, aliases, required)
        reader = csv.reader(stream, delimiter=delimiter)
        row_no = 1
        items = list(columns.items())
        try:
            for row_no, cells in enumerate(reader, start=2):
                n = len(cells)
                values = {col: cells[i] for i, col in items if i < n}
                if any(v.strip() for v in values.values()):
                    yield row_no, values
        except UnicodeDecodeError:
            raise ImportFileError(
                RowProblem(
                    shown, row_no + 1, "(file)", "is not UTF-8 text", "save it as CSV UTF-8"
                )
            ) from None


def _xlsx_rows(
    path: Path, shown: str, aliases: Mapping[str, tuple[str, ...]], required: list[str]
) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(
            RowProblem(
                shown,
                1,
                "(file)",
                f"not a readable XLSX file ({type(exc).__name__})",
                "open it in Excel and save it again as .xlsx",
            )
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        columns = _header_map(shown, list(header), aliases, required)
        for row_no, cells in enumerate(rows, start=2):
            values = {col: cells[i] for i, col in columns.items() if i < len(cells)}
            if any(v is not None and str(v).strip() for v in values.values()):
                yield row_no, values
    finally:
        book.close()
