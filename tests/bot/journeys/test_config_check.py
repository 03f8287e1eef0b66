"""`config check` validates `journeys:`, naming the file, line and key of each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import load_content
from tests.bot.cli.test_cli import run_cli

ROOT = Path(__file__).resolve().parents[3]
DEMO = (ROOT / "config" / "content.yaml").read_text(encoding="utf-8")


def _check(tmp_path: Path, old: str, new: str) -> tuple[int, str, Path]:
    bad = DEMO.replace(old, new, 1)
    assert bad != DEMO, old
    path = tmp_path / "content.yaml"
    path.write_text(bad, encoding="utf-8")
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    out = run_cli("config", "check", str(path))
    return out.returncode, out.stdout, path


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_demo_journeys_are_valid() -> None:
    content = load_content(ROOT / "config" / "content.yaml")
    ids = [j.id for j in content.journeys]
    assert ids == [
        "welcome",
        "win-back-7d",
        "win-back-14d",
        "win-back-28d",
        "birthday",
        "tier-up-thanks",
        "voucher-reminder",
    ]


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        (
            "trigger: {days_since_last_order: 7}",
            "trigger: {days_since_last_order: 7, event: follow}",
            "journeys[1].trigger",
            "exactly one of event:",
        ),
        (
            "        wait: 3d\n      - id: nudge",
            "        wait: 3x\n      - id: nudge",
            "journeys[2].steps[1].wait",
            "not a duration",
        ),
        (
            "Lâu rồi không gặp {name}!",
            "Lâu rồi không gặp {nam}!",
            "journeys[1].steps[0].send.text",
            "{nam}",
        ),
        (
            'Nhắc khách sau 14 ngày"',
            'Nhắc khách sau 14 ngày"\n    audience: nope',
            "journeys[2].audience",
            "unknown segment 'nope'",
        ),
        (
            "if: {ordered_since_entry: false}",
            "if: {tier: Diamond}",
            "journeys[0].steps[4].if.tier",
            "unknown tier",
        ),
        (
            "    trigger: {event: tier_up}",
            "    trigger: {event: tier_up}\n    exit_on: [left_segment]",
            "journeys[5].exit_on",
            "needs an audience",
        ),
        (
            '        send: {text: "{name} ơi, voucher của bạn vẫn còn hạn.',
            "        voucher: {value: 1000, valid_days: 1}\n        wait: 2h\n"
            '        send: {text: "{name} ơi, voucher của bạn vẫn còn hạn.',
            "journeys[2].steps[2]",
            "one step has",
        ),
    ],
)
def test_a_mistake_is_one_line_with_file_line_key_and_fix(
    tmp_path: Path, old: str, new: str, key: str, words: str
) -> None:
    code, out, path = _check(tmp_path, old, new)
    assert code == 1, out
    lines = [line for line in out.splitlines() if f" {key}" in line]
    assert lines, out
    assert words in lines[0] and " — " in lines[0], lines[0]
    assert lines[0].startswith(f"{path}:"), lines[0]


def test_the_line_points_at_the_mistake(tmp_path: Path) -> None:
    code, out, path = _check(tmp_path, "        wait: 7d", "        wait: 7 days")
    bad = path.read_text(encoding="utf-8")
    assert code == 1
    assert f"{path}:{_line_of(bad, 'wait: 7 days')} journeys[0].steps[3].wait:" in out, out


def test_duplicate_step_ids_are_named(tmp_path: Path) -> None:
    code, out, _ = _check(tmp_path, "      - id: day-3\n", "      - id: hello\n")
    assert code == 1
    assert "step id 'hello' is used twice" in out, out
