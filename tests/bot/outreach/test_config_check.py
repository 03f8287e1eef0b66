"""`config check` validates the `outreach:` and `zns:` sections, naming the file, line and key."""

from __future__ import annotations

from pathlib import Path

from tests.bot.cli.test_cli import run_cli

ROOT = Path(__file__).resolve().parents[3]


def test_config_check_names_a_bad_zns_template(tmp_path: Path) -> None:
    text = (ROOT / "config" / "content.yaml").read_text(encoding="utf-8")
    bad = text.replace(
        "  templates: {}",
        '  templates:\n    points_earned: {template_id: "1", tag: 3}',
        1,
    )
    assert bad != text
    path = tmp_path / "content.yaml"
    path.write_text(bad, encoding="utf-8")
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    out = run_cli("config", "check", str(path))
    assert out.returncode == 1
    assert f"{path}:" in out.stdout and "zns" in out.stdout and "tag 3" in out.stdout, out.stdout


def _check_utility(tmp_path: Path, templates: str) -> str:
    text = (ROOT / "config" / "content.yaml").read_text(encoding="utf-8")
    marker = "messenger_utility:"
    head, tail = text.split(marker, 1)
    bad = head + marker + tail.replace("  templates: {}", "  templates:\n" + templates, 1)
    path = tmp_path / "content.yaml"
    path.write_text(bad, encoding="utf-8")
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    out = run_cli("config", "check", str(path))
    assert out.returncode == 1, out.stdout
    assert f"{path}:" in out.stdout and "messenger_utility" in out.stdout, out.stdout
    return out.stdout


def test_config_check_refuses_an_offer_reminder_as_a_utility_template(tmp_path: Path) -> None:
    out = _check_utility(tmp_path, '    voucher_expiring: {name: "exp_vi"}')
    assert "offer reminder" in out and " — remove voucher_expiring" in out, out


def test_config_check_names_a_bad_utility_placeholder_and_name(tmp_path: Path) -> None:
    out = _check_utility(
        tmp_path,
        '    points_earned: {name: "pts_vi", params: ["{pointz}"]}\n'
        '    tier_changed: {name: "Tier Update"}',
    )
    assert "unknown placeholder {pointz}" in out and "{points}" in out, out
    assert "tier_changed.name" in out, out
