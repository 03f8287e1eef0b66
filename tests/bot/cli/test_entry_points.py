"""`serve` and `worker` as users start them: event loop, heap freeze, CPU priority, a webhook.

They run as real subprocesses on a migrated SQLite file, in sandbox mode (the channels check
signatures with `SANDBOX_SECRET`), so what is checked is the command a deployment runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.bot.cli.test_cli import ROOT, run_cli

SECRET = "entry-point-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path / 'app.sqlite3'}",
        "DATA_DIR": str(tmp_path / "data"),
        "CONTENT_PATH": str(ROOT / "config" / "content.yaml"),
        "SANDBOX_SECRET": SECRET,
        "REDIS_URL": "",
        "APP_PORT": str(_free_port()),
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),
        "WARM_RENDERS": "false",  # a short-lived process: no campaign images drawn ahead
    }
    for name in ("FB_APP_SECRET", "FB_PAGE_ACCESS_TOKEN", "ZALO_OA_SECRET_KEY", "EVENT_LOOP"):
        values.pop(name, None)
    assert run_cli("db", "upgrade", env=values).returncode == 0
    return values


@contextmanager
def _start(command: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", command], cwd=log.parent, env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_for_log(log: Path, text: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        assert proc.poll() is None, log.read_text(errors="replace")
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {log}:\n{log.read_text(errors='replace')}")


def test_serve_runs_on_uvloop_and_acknowledges_a_signed_webhook(
    env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with _start("serve", env, log) as proc:
        _wait_for_log(log, "runtime ready", proc)
        assert "loop=uvloop" in log.read_text()  # EVENT_LOOP=auto, uvloop installed
        item = {
            "sender": {"id": "7100000000000001"},
            "recipient": {"id": "page"},
            "timestamp": 1_760_000_000_000,
            "message": {"mid": "m_entry_1", "text": "Chào shop"},
        }
        body = json.dumps(
            {"object": "page", "entry": [{"id": "page", "time": 1, "messaging": [item]}]}
        ).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            f"http://127.0.0.1:{env['APP_PORT']}/webhooks/messenger",
            data=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        )
        deadline = time.monotonic() + 30
        while True:  # the port opens a moment after the runtime is ready
            try:
                with urllib.request.urlopen(request, timeout=10) as resp:
                    assert resp.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        # Answered means committed: the row is there for another connection to read.
        path = env["DATABASE_URL"].removeprefix("sqlite://")
        con = sqlite3.connect(path, timeout=10)
        try:
            keys = [r[0] for r in con.execute("SELECT dedupe_key FROM inbox_event")]
        finally:
            con.close()
        assert keys == ["message:m_entry_1"]


def test_worker_lowers_its_cpu_priority_by_worker_nice(
    env: dict[str, str], tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set")
    before = os.getpriority(os.PRIO_PROCESS, 0)
    log = tmp_path / "worker.log"
    worker_env = {**env, "REDIS_URL": redis_url, "REDIS_PREFIX": redis_prefix, "WORKER_NICE": "7"}
    with _start("worker", worker_env, log) as proc:
        _wait_for_log(log, "runtime ready", proc)
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == min(before + 7, 19)
