"""A bad value in an import file, printed as `FILE:ROW column: what is wrong — how to fix`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowProblem:
    file: str
    row: int  # the file's row number: the header is row 1
    column: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row} {self.column}: {self.message} — {self.fix}"


class BadValue(ValueError):
    """Raised by a value parser: what is wrong and how to fix it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


class ImportFileError(Exception):
    """The file cannot be read at all (missing, not CSV/XLSX, no required column)."""

    def __init__(self, problem: RowProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem
