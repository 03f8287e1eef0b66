"""`python -m bench [--quick] [--only ingest,plays,render,reports]`: run, print, write
results.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import procs
from bench.events import SECRET
from bench.ingest import IngestBench, IngestConfig
from bench.load import ensure_wrk
from bench.report import print_report

SECTIONS = ("ingest", "plays", "render", "reports", "e2e", "outreach", "journeys")
RESULTS = Path(__file__).with_name("results.json")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--only", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS)
    )
    p.add_argument("--modes", default="embedded,redis", help="ingest modes: embedded, redis")
    p.add_argument("--quick", action="store_true", help="shorter runs (a smoke test)")
    p.add_argument("--seconds", type=int, default=None, help="seconds per ingest round (4)")
    p.add_argument("--rounds", type=int, default=3, help="baseline/project turns per run (3)")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--sustained", type=int, default=None, help="plays in the sustained run (2000)")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="attach py-spy to serve/worker during the ingest rounds, write stacks to DIR",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return p


async def _postgres(work: Path) -> procs.Postgres | None:
    pg = procs.Postgres()
    if not await pg.available():
        return None
    env = procs.bot_env(work, "sqlite://unused", port=8080, secret=SECRET)
    await pg.prepare(env, work / "pg-upgrade.log")
    return pg


async def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    pg = (
        await _postgres(work)
        if only & {"ingest", "plays", "reports", "e2e", "outreach", "journeys"}
        else None
    )
    try:
        if "e2e" in only:
            from bench.e2e import run_e2e

            modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
            _say(f"end to end: 2,000 'menu' events from 500 people at 200/s ({', '.join(modes)})")
            results["e2e"] = {}
            for mode in modes:
                if mode == "redis" and pg is None:
                    results["e2e"][mode] = {"skipped": "PostgreSQL not reachable"}
                    continue
                if mode == "redis":
                    assert pg is not None
                    url = await pg.fresh()
                else:
                    url = f"sqlite://{work / 'e2e.sqlite3'}"
                    env = procs.bot_env(work, url, port=8080, secret=SECRET)
                    await asyncio.to_thread(
                        procs.run_bot, ["db", "upgrade"], env, work / "e2e-up.log"
                    )
                results["e2e"][mode] = await run_e2e(mode, work, url)
        if "render" in only:
            from bench.render import run_render

            _say("rendering: cached vs fresh play image")
            results["render"] = await run_render(1000 if args.quick else 5000)
        if "plays" in only:
            if pg is None:
                results["plays"] = {"skipped": f"PostgreSQL not reachable at {procs.PG_ADMIN_URL}"}
            else:
                from bench.plays import run_plays

                sustained = args.sustained or (500 if args.quick else 2000)
                _say(f"game plays on PostgreSQL: 60, 500 at once, {sustained} sustained")
                results["plays"] = await run_plays(await pg.fresh(), sustained=sustained)
        if "reports" in only:
            if pg is None:
                results["reports"] = {
                    "skipped": f"PostgreSQL not reachable at {procs.PG_ADMIN_URL}"
                }
            else:
                from bench.reports import run_reports

                scale = 10 if args.quick else 1
                _say("reports on PostgreSQL: cohorts and a game report (loading data with COPY)")
                results["reports"] = await run_reports(
                    await pg.fresh(),
                    members=200_000 // scale,
                    orders=1_000_000 // scale,
                    plays=500_000 // scale,
                )
        if "outreach" in only:
            from bench.outreach import run_outreach

            n = 5000 if args.quick else 20_000
            if pg is None:
                results["outreach"] = {
                    "skipped": f"PostgreSQL not reachable at {procs.PG_ADMIN_URL}"
                }
            else:
                _say(f"broadcast to {n} members at the fake Graph (30 ms, 500/s)")
                results["outreach"] = await run_outreach(await pg.fresh(), members=n)
        if "journeys" in only:
            from bench.journeys import run_journeys

            active, due = (20_000, 2_000) if args.quick else (100_000, 10_000)
            if pg is None:
                results["journeys"] = {
                    "skipped": f"PostgreSQL not reachable at {procs.PG_ADMIN_URL}"
                }
            else:
                _say(f"journeys: {active} active enrolments, {due} due in one tick")
                results["journeys"] = await run_journeys(await pg.fresh(), active=active, due=due)
                _say(
                    "journeys: tick {tick_seconds}s (bulk-write baseline {baseline_seconds}s),"
                    " {delivered} delivered, {members_twice} members twice".format(
                        **results["journeys"]
                    )
                )
        if "ingest" in only:
            wrk = ensure_wrk()
            results["generator"] = "wrk" if wrk else "python"
            cfg = IngestConfig(
                seconds=args.seconds or (2 if args.quick else 4),
                rounds=1 if args.quick else args.rounds,
                warmup_seconds=1 if args.quick else 2,
                connections=args.connections,
                lines=10_000 if args.quick else 20_000,
            )
            modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
            _say(
                f"webhook ingest: baseline, then {', '.join(modes)} "
                f"({cfg.rounds} x {cfg.seconds} s per run, taking turns with the baseline)"
            )
            results["ingest"] = await IngestBench(cfg, wrk, work, args.profile).run(modes, pg)
    finally:
        if pg is not None:
            await pg.close()
    return results


def _say(text: str) -> None:
    print(f"bench: {text} ...", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bot.eventloop import install

    # The plays run in this process: on the loop `serve` would run them on (EVENT_LOOP).
    loop_name = install(os.environ.get("EVENT_LOOP", "auto"))  # type: ignore[arg-type]
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        try:
            results = asyncio.run(run(args, Path(tmp)))
        except RuntimeError as exc:
            print(f"bench: failed: {exc}", file=sys.stderr)
            return 2
    results["duration_s"] = round(time.monotonic() - start, 1)
    results["event_loop"] = loop_name
    found = print_report(results)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nbench: {results['duration_s']} s; raw numbers in {args.out}")
    missed = [c for c in found if c.ok is False]
    return 1 if args.strict and missed else 0
