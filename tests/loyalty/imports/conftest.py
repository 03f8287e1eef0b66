"""Helpers for the import tests: run an import in-process and keep what it printed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from loyalty.config import LoyaltyConfig
from loyalty.imports.run import Outcome, run_import

FIXTURES = Path(__file__).parent / "fixtures"


class Imported:
    def __init__(self, outcome: Outcome, lines: list[str]) -> None:
        self.outcome = outcome
        self.lines = lines

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def do_import(db: str, loyalty_config: LoyaltyConfig) -> Callable[..., Awaitable[Imported]]:
    async def run(kind: str, file: str | Path, **options: Any) -> Imported:
        path = file if isinstance(file, Path) else FIXTURES / file
        lines: list[str] = []
        options.setdefault("spec", None)
        outcome = await run_import(
            kind,  # type: ignore[arg-type]
            path,
            config=loyalty_config,
            shown=path.name,
            emit=lines.append,
            progress=None,
            **options,
        )
        return Imported(outcome, lines)

    return run
