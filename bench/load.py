"""Load generators: `wrk` (Debian package) or, where it cannot be had, an aiohttp client.

Both keep `connections` keep-alive connections busy for `seconds`, replaying a file of
pre-signed requests (each body once; a generator that runs out starts over and the result
says how many were repeats), and report the same fields (`LoadResult`).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.events import read_file

WRK_LUA = Path(__file__).with_name("wrk.lua")
WRK_THREADS = 2


@dataclass(slots=True)
class LoadResult:
    generator: str
    connections: int
    requests: int  # responses received
    repeated: int  # requests beyond the file's distinct bodies
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def ensure_wrk() -> str | None:
    """The wrk binary; installed through apt when missing and we are root, else None.

    `BENCH_GENERATOR=python` forces the Python generator (to compare the two).
    """
    if os.environ.get("BENCH_GENERATOR") == "python":
        return None
    found = shutil.which("wrk")
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing wrk (apt-get install wrk) ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
            subprocess.run(cmd, env=env, capture_output=True, timeout=300, check=False)
        found = shutil.which("wrk")
    if not found:
        print("bench: wrk unavailable, using the Python load generator", flush=True)
    return found


def _wrk(wrk: str, url: str, file: Path, lines: int, connections: int, seconds: int) -> LoadResult:
    cmd = [
        wrk, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(WRK_LUA), url, "--", str(file), str(WRK_THREADS),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH-JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH-JSON "))
    secs = raw["duration_us"] / 1e6
    errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return LoadResult(
        generator="wrk",
        connections=connections,
        requests=raw["requests"],
        repeated=max(0, raw["requests"] - lines),
        seconds=round(secs, 3),
        rps=round(raw["requests"] / secs, 1) if secs else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        non2xx=raw["non2xx"],
        socket_errors=errors,
    )


async def _python(url: str, file: Path, connections: int, seconds: int) -> LoadResult:
    import aiohttp

    reqs = read_file(file)
    base = url.rstrip("/")
    latencies: list[float] = []
    non2xx = errors = sent = 0
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=10)

    async def client(session: aiohttp.ClientSession, deadline: float) -> None:
        nonlocal non2xx, errors, sent
        while time.perf_counter() < deadline:
            req = reqs[sent % len(reqs)]
            sent += 1
            headers = {"Content-Type": "application/json", req.header: req.signature}
            t0 = time.perf_counter()
            try:
                async with session.post(base + req.path, data=req.body, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                errors += 1
                continue
            latencies.append(time.perf_counter() - t0)
            if not 200 <= status < 300:
                non2xx += 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(client(session, deadline) for _ in range(connections)))
        secs = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 3)

    return LoadResult(
        generator="python",
        connections=connections,
        requests=len(latencies),
        repeated=max(0, sent - len(reqs)),
        seconds=round(secs, 3),
        rps=round(len(latencies) / secs, 1) if secs else 0.0,
        p50_ms=pct(50),
        p90_ms=pct(90),
        p99_ms=pct(99),
        max_ms=round(latencies[-1] * 1000, 3) if latencies else 0.0,
        non2xx=non2xx,
        socket_errors=errors,
    )


async def run_load(
    wrk: str | None, url: str, file: Path, lines: int, *, connections: int, seconds: int
) -> LoadResult:
    """One load run; wrk runs in a thread so the caller's event loop stays free."""
    if wrk:
        return await asyncio.to_thread(_wrk, wrk, url, file, lines, connections, seconds)
    return await _python(url, file, connections, seconds)
