"""`python -m bench.customer_data`: the customer-data benchmark on PostgreSQL.

Generated data (`--members` members, `--orders` orders, defaults 200,000 and 1,000,000):

- import: `python -m bot import members|orders FILE --no-refresh` against `psql \\copy` of
  the same CSV files into bare tables, in the same run: rows/s and their ratio, and the
  import process's peak RSS (`wait4` rusage);
- segment refresh: `refresh_all` in this process against the bare RFM statement (the same
  ranking query, into a scratch table) run by `psql`;
- the RFM grid report (issue 23): `rfm_grid()` on the refreshed scores, median of 3;
- admin member look-up: `GET /api/v1/admin/members/{phone}` on a real `serve`, 32 concurrent
  clients, p50 / p99.

Figures go to stdout and `bench/customer_data.json`. Everything runs in a fresh database
that is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import procs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("customer_data.json")
ADMIN_KEY = "bench-admin-key"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = datetime.now(UTC)


def _phone(i: int) -> str:
    return f"09{i:08d}"


def generate(work: Path, n_members: int, n_orders: int, seed: int = 19) -> tuple[Path, Path]:
    """Two CSV files as a POS exports them (Vietnamese amounts and dates)."""
    rng = random.Random(seed)
    members = work / "members.csv"
    with members.open("w", encoding="utf-8") as f:
        f.write("phone,name,birthday,tags,points\n")
        for i in range(1, n_members + 1):
            tags = "vip" if i % 17 == 0 else ("khách sỉ;hà nội" if i % 29 == 0 else "")
            born = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1960, 2005)}"
            f.write(f"{_phone(i)},Khách {i},{born},{tags},{rng.choice((0, 0, 50, 120))}\n")
    orders = work / "orders.csv"
    with orders.open("w", encoding="utf-8") as f:
        f.write("order_id,phone,amount,paid_at,status\n")
        for i in range(n_orders):
            who = int(n_members * rng.random() ** 1.5) + 1  # regulars and a long tail
            amount = rng.randrange(20, 3000) * 1000
            paid = NOW - timedelta(days=rng.randrange(0, 720), minutes=rng.randrange(1440))
            status = "refunded" if i % 97 == 0 else ""
            f.write(f'HD{i:08d},{_phone(who)},"{amount:,}",{paid:%d/%m/%Y %H:%M},{status}\n')
    return members, orders


def _psql(url: str, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url.replace("postgres://", "postgresql://"),
         *args],
        check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - start


def psql_copy(url: str, table: str, columns: str, path: Path) -> float:
    _psql(url, "-c", f"DROP TABLE IF EXISTS {table}", "-c", f"CREATE TABLE {table} ({columns})")
    return _psql(url, "-c", f"\\copy {table} FROM '{path}' WITH (FORMAT csv, HEADER true)")


def run_import(env: dict[str, str], kind: str, path: Path) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (kB) of the import process, and its last output line."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "import", kind, str(path), "--no-refresh"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"import {kind} failed:\n{out[-2000:]}\n{err[-2000:]}")
    return wall, int(usage.ru_maxrss), out.strip().splitlines()[-1]


async def refresh(url: str) -> tuple[float, dict[str, int], str]:
    """`refresh_all` timed in this process, and the bare RFM statement's SQL for psql."""
    from bot.content.loader import load_content
    from bot.db import close_db, init_db
    from loyalty.segments.refresh import refresh_all
    from loyalty.segments.sql import Dialect, Params, full_rfm_insert

    spec = load_content(ROOT / "config" / "content.yaml").segment_spec()
    await init_db(url)
    try:
        start = time.perf_counter()
        counts = await refresh_all(spec)
        seconds = time.perf_counter() - start
    finally:
        await close_db()
    p = Params(Dialect("postgres"))
    since = datetime.now(UTC) - timedelta(days=spec.window_days)
    sql = full_rfm_insert(p, since, spec.first_tier, datetime.now(UTC))
    for i, value in reversed(list(enumerate(p.values, 1))):
        literal = f"'{value.isoformat()}'" if isinstance(value, datetime) else f"'{value}'"
        sql = sql.replace(f"${i}", literal)
    head, body = sql.lstrip("\n").split("\n", 1)
    assert head.startswith("INSERT INTO member_rfm"), head
    from loyalty.segments.refresh import PG_WORK_MEM

    bare = f"SET work_mem = '{PG_WORK_MEM}'; CREATE TABLE bench_rfm AS " + body
    return seconds, counts, bare


async def rfm_report(url: str, rounds: int = 3) -> dict[str, Any]:
    """Issue 23's RFM grid (`/api/v1/admin/reports/rfm`'s query) on the refreshed scores:
    once to warm the cache, then the median of `rounds`."""
    from bot.db import close_db, init_db
    from loyalty.reports.rfm import rfm_grid

    await init_db(url)
    try:
        await rfm_grid()
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            grid = await rfm_grid()
            times.append(time.perf_counter() - start)
    finally:
        await close_db()
    return {
        "seconds": round(sorted(times)[len(times) // 2], 3),
        "members": sum(c.members for c in grid.cells),
    }


LUA = """
math.randomseed(7)
request = function()
  local path = string.format("/api/v1/admin/members/09%08d", math.random(1, {n}))
  return wrk.format("GET", path, {{["X-Api-Key"] = "{key}"}})
end
"""


def _ms(text: str) -> float:
    """wrk's `812.00us`, `4.20ms`, `1.02s` in milliseconds."""
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text)


async def lookups(
    url: str, work: Path, n_members: int, seconds: int, concurrency: int
) -> dict[str, Any]:
    """`wrk` (one thread) against a real `serve`: random members by phone, 32 connections."""
    from bench.load import ensure_wrk

    wrk = ensure_wrk()
    if wrk is None:
        raise SystemExit("wrk is needed for the look-up benchmark (apt-get install wrk)")
    port = procs.free_port()
    env = procs.bot_env(work / "data", url, port=port, secret=secrets.token_hex(8))
    env.update(ADMIN_API_KEY=ADMIN_KEY, WARM_RENDERS="false", LOG_LEVEL="WARNING")
    # With Redis, `serve` leaves the scheduled jobs to a `worker` (none is started here): the
    # daily tier and expiry pass over 200,000 members must not run inside the measured server.
    env.update(REDIS_URL=REDIS_URL, REDIS_PREFIX=f"bcd{secrets.token_hex(4)}:")
    serve = procs.start_bot("serve", "serve", env, work / "serve.log")
    script = work / "lookup.lua"
    script.write_text(LUA.format(n=n_members, key=ADMIN_KEY), encoding="utf-8")
    base = f"http://127.0.0.1:{port}"
    try:
        serve.wait_http(f"{base}/healthz")
        warm = [wrk, "-t1", f"-c{concurrency}", "-d2s", "-s", str(script), base]
        await asyncio.to_thread(subprocess.run, warm, check=True, capture_output=True)
        cmd = [
            wrk,
            "-t1",
            f"-c{concurrency}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            base,
        ]
        done = await asyncio.to_thread(
            subprocess.run, cmd, check=True, capture_output=True, text=True
        )
        out = done.stdout
        found: dict[str, Any] = {"concurrency": concurrency, "seconds": seconds}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] in ("50%", "90%", "99%"):
                found[f"p{parts[0][:-1]}_ms"] = round(_ms(parts[1]), 2)
            elif line.startswith("Requests/sec:"):
                found["rps"] = round(float(parts[1]))
            elif "Non-2xx" in line:
                found["non_2xx"] = int(parts[-1])
        found["serve_peak_rss_mb"] = round(serve.memory_kb().get("VmHWM", 0) / 1024)
        return found
    finally:
        serve.kill()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    pg = procs.Postgres()
    if not await pg.available():
        raise SystemExit("PostgreSQL is not reachable at " + pg.admin_url)
    work = Path(tempfile.mkdtemp(prefix="bench-cd-"))
    results: dict[str, Any] = {"members": args.members, "orders": args.orders}
    try:
        env = procs.bot_env(work / "data", "", port=procs.free_port(), secret="x")
        await pg.prepare(env, work / "upgrade.log")
        url = await pg.fresh()
        env["DATABASE_URL"] = url
        t = time.perf_counter()
        members_csv, orders_csv = generate(work, args.members, args.orders)
        results["generate_s"] = round(time.perf_counter() - t, 1)

        base_m = psql_copy(
            url,
            "bench_copy_members",
            "phone text, name text, birthday text, tags text, points text",
            members_csv,
        )
        base_o = psql_copy(
            url,
            "bench_copy_orders",
            "order_id text, phone text, amount text, paid_at text, status text",
            orders_csv,
        )
        wall_m, rss_m, line_m = run_import(env, "members", members_csv)
        wall_o, rss_o, line_o = run_import(env, "orders", orders_csv)
        results["import"] = {
            "members": {
                "psql_copy_s": round(base_m, 2),
                "import_s": round(wall_m, 2),
                "rows_per_s": round(args.members / wall_m),
                "copy_rows_per_s": round(args.members / base_m),
                "ratio": round(base_m / wall_m, 3),
                "peak_rss_mb": round(rss_m / 1024),
                "output": line_m,
            },
            "orders": {
                "psql_copy_s": round(base_o, 2),
                "import_s": round(wall_o, 2),
                "rows_per_s": round(args.orders / wall_o),
                "copy_rows_per_s": round(args.orders / base_o),
                "ratio": round(base_o / wall_o, 3),
                "peak_rss_mb": round(rss_o / 1024),
                "output": line_o,
            },
        }
        _psql(url, "-c", "VACUUM ANALYZE")
        seconds, counts, bare = await refresh(url)
        bare_s = _psql(url, "-c", "DROP TABLE IF EXISTS bench_rfm", "-c", bare)
        again, _c, _b = await refresh(url)
        results["refresh"] = {
            "seconds": round(seconds, 2),
            "second_run_s": round(again, 2),
            "bare_rfm_psql_s": round(bare_s, 2),
            "ratio": round(bare_s / min(seconds, again), 3),
            "segments": counts,
        }
        results["rfm_report"] = await rfm_report(url)
        results["lookup"] = await lookups(url, work, args.members, args.seconds, 32)
    finally:
        await pg.close()
        shutil.rmtree(work, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.customer_data", description=__doc__)
    p.add_argument("--members", type=int, default=200_000)
    p.add_argument("--orders", type=int, default=1_000_000)
    p.add_argument("--seconds", type=int, default=8, help="seconds of look-up load")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    results = asyncio.run(main_async(args))
    results["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    imp, ref, look = results["import"], results["refresh"], results["lookup"]
    rows = [
        (
            "import members rows/s ÷ psql \\copy ≥ 0.5",
            imp["members"]["ratio"],
            imp["members"]["ratio"] >= 0.5,
        ),
        (
            "import orders rows/s ÷ psql \\copy ≥ 0.5",
            imp["orders"]["ratio"],
            imp["orders"]["ratio"] >= 0.5,
        ),
        (
            "import peak RSS < 300 MB",
            max(imp["members"]["peak_rss_mb"], imp["orders"]["peak_rss_mb"]),
            max(imp["members"]["peak_rss_mb"], imp["orders"]["peak_rss_mb"]) < 300,
        ),
        ("full segment refresh < 20 s", ref["seconds"], ref["seconds"] < 20),
        ("bare RFM statement ÷ refresh ≥ 0.5", ref["ratio"], ref["ratio"] >= 0.5),
        ("look-up p99 < 20 ms at 32 concurrent", look["p99_ms"], look["p99_ms"] < 20),
        (
            "RFM grid report < 2 s (issue 23)",
            results["rfm_report"]["seconds"],
            results["rfm_report"]["seconds"] < 2,
        ),
    ]
    for name, value, ok in rows:
        print(f"{'met ' if ok else 'MISS'} {name}: {value}")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
