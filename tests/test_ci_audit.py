"""`.ci/audit` as CI runs it, against a stand-in pip-audit: unreachable service, a clean lock,
and a finding of unknown severity (counted as critical) or accepted in `.ci/audit-ignore`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "audit"
PKG = {"name": "aiohttp", "version": "3.14.5"}


def fake_pip_audit(tmp_path: Path, stdout: str, stderr: str = "", code: int = 0) -> Path:
    exe = tmp_path / "pip-audit"
    exe.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"sys.stdout.write({stdout!r})\nsys.stderr.write({stderr!r})\nsys.exit({code})\n"
    )
    exe.chmod(0o755)
    return exe


def run(exe: Path, ignore: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_AUDIT": str(exe), "AUDIT_IGNORE": str(ignore or "/nonexistent")}
    return subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )


def test_an_unreachable_service_is_a_clear_skip(tmp_path: Path) -> None:
    down = fake_pip_audit(tmp_path, "", "requests.exceptions.ConnectionError: Max retries", 1)
    done = run(down)
    assert done.returncode == 0 and done.stdout.startswith("skipped: vulnerability service")
    nothing = json.dumps({"dependencies": [{**PKG, "skip_reason": "not found on PyPI"}]})
    done = run(fake_pip_audit(tmp_path, nothing))
    assert done.returncode == 0 and "skipped: vulnerability service unreachable" in done.stdout


def test_a_clean_lock_passes_and_a_broken_run_fails(tmp_path: Path) -> None:
    clean = json.dumps({"dependencies": [{**PKG, "vulns": []}]})
    done = run(fake_pip_audit(tmp_path, clean))
    assert done.returncode == 0 and "audited 1 packages: 0 known" in done.stdout
    done = run(fake_pip_audit(tmp_path, "", "Traceback: something else", 1))
    assert done.returncode == 2


@pytest.mark.slow
def test_a_finding_of_unknown_severity_fails_unless_accepted(tmp_path: Path) -> None:
    vuln = {"id": "PYSEC-0000-00000", "fix_versions": ["9.9.9"], "aliases": []}
    found = json.dumps({"dependencies": [{**PKG, "vulns": [vuln]}]})
    done = run(fake_pip_audit(tmp_path, found))
    assert done.returncode == 1, done.stdout
    assert "UNKNOWN: aiohttp 3.14.5 PYSEC-0000-00000: fixed in 9.9.9" in done.stdout
    accepted = tmp_path / "audit-ignore"
    accepted.write_text("PYSEC-0000-00000  # reviewed: not reachable from our code\n")
    done = run(fake_pip_audit(tmp_path, found), accepted)
    assert done.returncode == 0, done.stdout
    assert "(accepted in .ci/audit-ignore)" in done.stdout
