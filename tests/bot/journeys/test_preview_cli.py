"""`python -m bot journeys preview ID`, run as a subprocess against the test database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.content.loader import load_content
from loyalty import members
from loyalty.imports.run import run_import
from tests.bot.cli.test_cli import run_cli


async def test_preview_lists_who_would_enter_now(
    db: str, content_path: Path, tmp_path: Path
) -> None:
    content = load_content(content_path)
    now = datetime.now(UTC)
    lines = ["order_id,member_code,amount,paid_at"]
    for i, days in enumerate((7, 7, 7, 9)):
        member = await members.get_or_create_by_identity("messenger", f"p{i}", name=f"Khách {i}")
        lines.append(f"o{i},{member.member_code},50000,{(now - timedelta(days=days)).isoformat()}")
    csv = tmp_path / "orders.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = await run_import(
        "orders", csv, config=content.loyalty, spec=content.segment_spec(), progress=None
    )
    assert outcome.exit_code == 0
    env = {"DATABASE_URL": db, "CONTENT_PATH": str(content_path), "DATA_DIR": str(tmp_path)}

    out = run_cli("journeys", "preview", "win-back-7d", env=env)
    assert out.returncode == 0, out.stderr
    first, *rest = out.stdout.splitlines()
    assert first == "win-back-7d: 3 would enter now"
    assert sorted(line.split("\t")[1] for line in rest) == ["Khách 0", "Khách 1", "Khách 2"]

    out = run_cli("journeys", "preview", "welcome", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("welcome: 0 would enter now (members enter on each follow")

    out = run_cli("journeys", "preview", "nope", env=env)
    assert out.returncode == 1
    assert "no journey 'nope'" in out.stderr and "win-back-7d" in out.stderr
