"""Problems found in the content file, each pointing at a file, a line and a key.

One `Problem` prints as one line an admin can act on without reading code:
`config/content.yaml:23 games[0].prizes[1].weight: "abc" is not a number — write a number`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError

Loc = tuple[str | int, ...]

ERROR_TYPE = "content"


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong, where, and how to fix it."""

    file: str
    line: int
    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        tail = f" — {self.fix}" if self.fix else ""
        return f"{self.file}:{self.line} {self.key}: {self.message}{tail}"


class ContentError(Exception):
    """The content file cannot be used; `problems` lists every reason found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def format_loc(loc: Loc) -> str:
    """`("games", 0, "prizes", 1, "weight")` → `games[0].prizes[1].weight`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(file)"


def invalid(message: str, fix: str, *, at: Loc = ()) -> PydanticCustomError:
    """A validation error that carries its own admin-facing message and fix.

    `at` extends the error's location below the field that raised it (e.g. the index of a
    duplicate inside a list), so the loader can still point at the exact line.
    """
    ctx: dict[str, Any] = {"message": message, "fix": fix, "at": at}
    return PydanticCustomError(ERROR_TYPE, "{message}", ctx)
