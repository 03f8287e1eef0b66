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
    )
    assert bad != text
    path = tmp_path / "content.yaml"
    path.write_text(bad, encoding="utf-8")
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    out = run_cli("config", "check", str(path))
    assert out.returncode == 1
    assert f"{path}:" in out.stdout and "zns" in out.stdout and "tag 3" in out.stdout, out.stdout
