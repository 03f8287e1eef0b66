"""Helpers for content-file tests: edit a private copy of the demo file and check it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.content.check import run_check

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "config" / "content.yaml"

Edit = Callable[[str, str], str]


def edit_text(text: str, old: str, new: str) -> str:
    """Replace `old` (which must occur exactly once, so the test edits what it means to)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the demo file"
    return text.replace(old, new)


def line_number(text: str, needle: str) -> int:
    """1-based line of the only line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}"
    return hits[0]


@pytest.fixture
def check(
    content_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[[str], tuple[int, list[str]]]:
    """Write `text` as content.yaml in a temp folder, run `config check` there."""
    monkeypatch.chdir(content_path.parent)

    def run(text: str) -> tuple[int, list[str]]:
        content_path.write_text(text, encoding="utf-8")
        code = run_check(Path(content_path.name), DEMO)
        out = capsys.readouterr().out
        return code, out.splitlines()

    return run
