"""The command line: help, settings errors, db upgrade, config check, Zalo re-grant."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import zalo_set_token
from bot.db import close_db, init_db
from bot.models import PlatformToken
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_every_command() -> None:
    out = run_cli("--help").stdout
    for command in ("serve", "worker", "db", "config", "messenger", "zalo", "loyalty"):
        assert command in out


def test_a_wrong_setting_fails_with_one_line_naming_it() -> None:
    result = run_cli("db", "upgrade", env={"APP_PORT": "tám nghìn"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "APP_PORT" in lines[0] and "integer" in lines[0]


def test_worker_refuses_without_redis(tmp_path: Path) -> None:
    result = run_cli("worker", env={"REDIS_URL": "", "DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "REDIS_URL" in result.stderr


def test_db_upgrade_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'fresh.sqlite3'}"
    first = run_cli("db", "upgrade", env={"DATABASE_URL": url})
    assert first.returncode == 0, first.stderr
    again = run_cli("db", "upgrade", env={"DATABASE_URL": url})
    assert again.returncode == 0, again.stderr


def test_config_check_ok_and_broken(tmp_path: Path) -> None:
    ok = run_cli("config", "check")
    assert ok.returncode == 0 and ok.stdout.startswith("OK")
    broken = tmp_path / "content.yaml"
    broken.write_text("greetings: [\n", encoding="utf-8")
    bad = run_cli("config", "check", str(broken))
    assert bad.returncode == 1
    assert f"{broken}:" in bad.stdout


async def test_zalo_set_token_stores_a_pair_that_wins(
    clean_db: str, make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(
        ZALO_OA_ID="oa1",
        ZALO_APP_ID="app1",
        ZALO_OA_SECRET_KEY="oasecret",
        ZALO_OA_ACCESS_TOKEN="seed-access",
        ZALO_OA_REFRESH_TOKEN="seed-refresh",
    )
    assert await zalo_set_token(settings, "new-access", "new-refresh", 3600) == 0
    assert "stored a new Zalo OA token pair" in capsys.readouterr().out
    opened = await init_db(clean_db)
    try:
        row = await PlatformToken.get(channel="zalo", account_id="oa1")
        assert (row.access_token, row.refresh_token) == ("new-access", "new-refresh")
    finally:
        await close_db(opened)


def test_a_broken_native_dependency_stops_the_start_with_one_line(tmp_path: Path) -> None:
    """Nothing disappears silently: a dependency that does not load stops `serve`."""
    (tmp_path / "zxingcpp.py").write_text(
        'raise ImportError("libZXing.so.3: cannot open shared object file", name="zxingcpp")\n'
    )
    env = {
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DATABASE_URL": f"sqlite://{tmp_path / 'app.sqlite3'}",
        "DATA_DIR": str(tmp_path / "data"),
    }
    done = run_cli("serve", env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "zxingcpp cannot be imported" in lines[0], done.stderr
    assert "make install" in lines[0]
