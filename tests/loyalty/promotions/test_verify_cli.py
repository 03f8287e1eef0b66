"""`python -m bot promotions verify GAME_ID` as a real subprocess: exit 0 `ok: N draws`, exit 1
naming the first broken entry after a direct SQL edit; `config check` warns at the
registration threshold."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
import yaml
from tortoise import connections

from tests.conftest import ROOT
from tests.loyalty.promotions.test_chain import play_out, without_triggers

pytestmark = pytest.mark.slow


async def run_bot(*args: str, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env}, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode()


async def test_verify_finds_an_edit(db: str, tmp_path: Path, content_path: Path) -> None:
    env = {"DATABASE_URL": db, "DATA_DIR": str(tmp_path), "CONTENT_PATH": str(content_path)}
    play_ids = await play_out(3)
    code, out = await run_bot("promotions", "verify", "wheel", env=env)
    assert code == 0, out
    assert out.startswith("ok: 3 draws")

    async with without_triggers("draw_log"):
        conn = connections.get("default")
        mark = "?" if conn.capabilities.dialect == "sqlite" else "$1"
        await conn.execute_query(
            f"UPDATE draw_log SET roll = 0.001 WHERE play_id = {mark}", [play_ids[0]]
        )
    code, out = await run_bot("promotions", "verify", "wheel", env=env)
    assert code == 1, out
    assert out.startswith("broken: wheel: entry 1 (draw_log id ")
    assert f"play {play_ids[0]}" in out and "changed after sealing" in out


def _low_threshold(content_path: Path) -> None:
    data = yaml.safe_load(content_path.read_text(encoding="utf-8"))
    data["promotions"] = {"registration_threshold": 1_000_000}
    content_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


async def test_config_check_warns_at_the_threshold(tmp_path: Path, content_path: Path) -> None:
    _low_threshold(content_path)
    code, out = await run_bot("config", "check", str(content_path), env={})
    assert code == 0, out
    assert "warning:" in out and "game lucky-wheel" in out and "13.000.000 VND" in out
    assert out.strip().splitlines()[-1].startswith("OK: ")
