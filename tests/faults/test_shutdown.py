"""SIGTERM at any moment, start-up included, under load too: `serve` exits within its bound.

A real `serve` subprocess on a migrated SQLite file (the embedded mode, whose writer
process and aiosqlite thread once kept the interpreter alive for ever when stopped during
start-up), signalled at random moments; and once while webhooks are being posted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.bot.cli.test_entry_points import SECRET
from tests.bot.cli.test_entry_points import env as env

pytestmark = [pytest.mark.faults, pytest.mark.slow]

BOUND = 10.0  # SHUTDOWN_TIMEOUT_SECONDS's default


def _serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], cwd=log.parent, env=env, stdout=out, stderr=out
    )


def _stop_and_time(proc: subprocess.Popen[bytes], log: Path) -> float:
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(BOUND + 10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise AssertionError(f"serve did not exit: {log.read_text()[-2000:]}") from None
    return time.monotonic() - start


def _post_until(port: int, stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        body = json.dumps(
            {
                "object": "page",
                "entry": [
                    {
                        "id": "sandbox-page",
                        "time": 1,
                        "messaging": [
                            {
                                "sender": {"id": f"u{n % 20}"},
                                "recipient": {"id": "sandbox-page"},
                                "timestamp": 1700000000000 + n,
                                "message": {"mid": f"m{n}-{time.time()}", "text": "menu"},
                            }
                        ],
                    }
                ],
            }
        ).encode()
        sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/webhooks/messenger",
            data=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig},
        )
        try:
            urllib.request.urlopen(request, timeout=2).read()
        except OSError:
            time.sleep(0.05)  # not listening yet, or gone


def test_sigterm_during_start_up_and_under_load_exits_within_the_bound(
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    rng = random.Random(2026)
    for attempt, delay in enumerate([0.2, rng.uniform(0.3, 1.5), rng.uniform(1.5, 3.0)]):
        log = tmp_path / f"serve-{attempt}.log"
        proc = _serve(env, log)
        time.sleep(delay)  # somewhere in start-up: imports, migrations, content, images
        assert _stop_and_time(proc, log) < BOUND + 2, log.read_text()[-2000:]
    log = tmp_path / "serve-load.log"
    proc = _serve(env, log)
    stop = threading.Event()
    posters = [
        threading.Thread(target=_post_until, args=(int(env["APP_PORT"]), stop)) for _ in range(4)
    ]
    for thread in posters:
        thread.start()
    try:
        time.sleep(4.0)  # started, and busy
        took = _stop_and_time(proc, log)
    finally:
        stop.set()
        for thread in posters:
            thread.join(10)
    assert took < BOUND + 2, log.read_text()[-2000:]
    assert b"Traceback" not in log.read_bytes()
