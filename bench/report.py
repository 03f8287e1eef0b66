"""Targets from the issue, the printed tables, and `bench/results.json`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

MODES = {"embedded": "embedded (SQLite, in-process queue)", "redis": "Redis + worker (PostgreSQL)"}


@dataclass(slots=True)
class Check:
    name: str
    target: str
    actual: str
    ok: bool | None  # None: not measured in this run


def journeys_checks(j: dict[str, Any]) -> list[Check]:
    """bench/journeys.py: the due tick under 30 s, nobody handled twice."""
    if isinstance(j.get("skipped"), str):
        return [Check("journeys", "run", j["skipped"], None)]
    if not j:
        return []
    return [
        Check(
            f"journeys: {j['due']} due of {j['active']} in one tick",
            "< 30 s",
            f"{j['tick_seconds']:.1f} s ({j['tick_vs_baseline']}x bulk-write baseline)",
            j["tick_seconds"] < 30 and j["step_runs"] == j["due"],
        ),
        Check(
            "journeys: members handled twice",
            "0",
            f"{j['members_twice']} ({j['delivered']} delivered)",
            j["members_twice"] == 0 and j["delivered"] == j["due"],
        ),
    ]


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def ingest_rows(ingest: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (mode, channel) with the ratio to the baseline on the same requests,
    measured right before it (`paired_baseline`; older results: the first baseline run)."""
    rows = []
    for mode in ("baseline", *MODES):
        for ch, run in (ingest.get(mode) or {}).items():
            if not isinstance(run, dict):
                continue
            base = _get(run, "paired_baseline", "rps") or _get(ingest, "baseline", ch, "rps")
            ratio = round(run["rps"] / base, 3) if base and mode != "baseline" else None
            run["ratio_to_baseline"] = ratio
            rows.append({"mode": mode, "channel": ch, **run})
    return rows


def checks(results: dict[str, Any]) -> list[Check]:
    out: list[Check] = []
    ingest = results.get("ingest") or {}
    peak_rss = 0.0
    for row in ingest_rows(ingest) if ingest else []:
        if row["mode"] == "baseline":
            continue
        label = f"ingest {row['mode']} {row['channel']}"
        ratio = row["ratio_to_baseline"]
        out.append(
            Check(
                f"{label}: req/s vs bare baseline",
                ">= 0.50x",
                f"{ratio:.2f}x",
                ratio is not None and ratio >= 0.5,
            )
        )
        out.append(
            Check(f"{label}: p99 ack", "< 50 ms", f"{row['p99_ms']:.1f} ms", row["p99_ms"] < 50)
        )
        out.append(
            Check(
                f"{label}: 2xx + stored before ack",
                "all",
                _durable(row),
                row["non2xx"] == 0 and row["socket_errors"] == 0 and row["durable"],
            )
        )
        peak_rss = max(peak_rss, row.get("server_rss_peak_mb") or 0.0)
    for mode in MODES:
        if isinstance(_get(ingest, mode, "skipped"), str):
            out.append(Check(f"ingest {mode}", "run", ingest[mode]["skipped"], None))
    if peak_rss:
        out.append(
            Check(
                "serve peak RSS under ingest load",
                "< 200 MB",
                f"{peak_rss:.0f} MB",
                peak_rss < 200,
            )
        )
    plays = results.get("plays") or {}
    if isinstance(plays.get("skipped"), str):
        out.append(Check("game plays", "run", plays["skipped"], None))
    elif plays:
        b60, b500, sus = plays["burst_60"], plays["burst_500"], plays["sustained"]
        out.append(
            Check(
                "60 concurrent plays (PostgreSQL): wall",
                "< 1 s",
                f"{b60['wall_s']:.2f} s",
                b60["wall_s"] < 1,
            )
        )
        for name, run in (("60", b60), ("500", b500), (f"sustained {sus['plays']}", sus)):
            out.append(
                Check(
                    f"{name} plays: awards == stock",
                    f"{run['stock']}",
                    f"{run['awards']}",
                    run["awards_equal_stock"],
                )
            )
        out.append(
            Check(
                "500 concurrent plays: wall / p99",
                "info",
                f"{b500['wall_s']:.2f} s / {b500['p99_ms']:.0f} ms",
                None,
            )
        )
        out.append(
            Check(
                f"sustained plays/s ({sus['plays']} plays, {sus['concurrency']} at once)",
                ">= 1000/s",
                f"{sus['plays_per_s']:.0f}/s",
                sus["plays_per_s"] >= 1000,
            )
        )
    out += report_checks(results.get("reports") or {})
    out += e2e_checks(results.get("e2e") or {})
    out += journeys_checks(results.get("journeys") or {})
    outreach = results.get("outreach") or {}
    if isinstance(outreach.get("skipped"), str):
        out.append(Check("broadcast", "run", outreach["skipped"], None))
    elif outreach:
        out += [
            Check(
                f"broadcast to {outreach['members']} members: rate / limit",
                ">= 0.9",
                f"{outreach['rate']:.0f}/s of {outreach['limit']:.0f}/s = "
                f"{outreach['rate_vs_limit']:.2f} (baseline {outreach['baseline_rate']:.0f}/s)",
                outreach["rate_vs_limit"] >= 0.9,
            ),
            Check(
                "broadcast: duplicates at the fake",
                "0",
                str(outreach["duplicates"]),
                outreach["duplicates"] == 0,
            ),
            Check(
                "broadcast: statements per recipient",
                "<= 3",
                f"{outreach['statements_per_recipient']:.2f}",
                outreach["statements_per_recipient"] <= 3,
            ),
            Check(
                "broadcast: peak RSS (sender)",
                "< 250 MB",
                f"{outreach['peak_rss_mb']:.0f} MB",
                outreach["peak_rss_mb"] < 250,
            ),
        ]
    render = results.get("render") or {}
    if render:
        out.append(
            Check(
                "cached play image (wheel spin GIF + still)",
                "< 1 ms",
                f"{render['cached_mean_ms']:.3f} ms",
                render["cached_mean_ms"] < 1,
            )
        )
        out.append(
            Check(
                "fresh play image render (once per slice)",
                "info",
                f"{render['fresh_render_ms']:.0f} ms",
                None,
            )
        )
        if render.get("member_card_ms") is not None:
            out.append(
                Check(
                    "member card render (once per member and balance)",
                    "info",
                    f"{render['member_card_ms']:.0f} ms",
                    None,
                )
            )
    return out


def e2e_checks(e2e: dict[str, Any]) -> list[Check]:
    """Issue 25's targets: 2,000 "menu" events from 500 people offered at 200/s."""
    out: list[Check] = []
    for mode, run in e2e.items():
        label = f"e2e {mode}"
        if not isinstance(run, dict) or "skipped" in run:
            out.append(Check(label, "run", str((run or {}).get("skipped")), None))
            continue
        late = run["last_reply_after_last_event_s"]
        out += [
            Check(
                f"{label}: all answered",
                "all",
                f"{run['answered']}/{run['events']}",
                run["all_answered"],
            ),
            Check(
                f"{label}: last reply after the last event",
                "< 15 s",
                f"{late:.1f} s",
                run["all_answered"] and late < 15,
            ),
            Check(
                f"{label}: p95 reply latency",
                "< 5 s",
                f"{run['p95_s']:.2f} s (p50 {run['p50_s']:.2f}, max {run['max_s']:.2f})",
                run["p95_s"] < 5,
            ),
            Check(
                f"{label}: answered per second",
                ">= 150",
                f"{run['answered_per_s']:.0f}",
                run["answered_per_s"] >= 150,
            ),
            Check(
                f"{label}: exit after SIGTERM",
                "< 10 s",
                f"{run['serve_exit_after_sigterm_s']:.1f} s",
                run["serve_exit_after_sigterm_s"] < 10,
            ),
        ]
        if "kill9_recovery_s" in run:
            rec = run["kill9_recovery_s"]
            out.append(
                Check(
                    f"{label}: recovery after kill -9 of the worker",
                    "< 10 s",
                    f"{rec:.1f} s",
                    rec < 10,
                )
            )
    return out


def report_checks(reports: dict[str, Any]) -> list[Check]:
    """Issue 23's targets (PostgreSQL, 200,000 members, 1,000,000 orders, 500,000 plays)."""
    if isinstance(reports.get("skipped"), str):
        return [Check("reports", "run", reports["skipped"], None)]
    if not reports:
        return []
    scale = f"{reports['members']:,} members, {reports['orders']:,} orders"
    cohort = max(reports["cohorts_first_order_s"], reports["cohorts_joined_s"])
    return [
        Check(f"cohort report ({scale})", "< 2 s", f"{cohort:.2f} s", cohort < 2),
        Check(
            f"games report ({reports['plays']:,} plays)",
            "< 1 s",
            f"{reports['games_s']:.2f} s",
            reports["games_s"] < 1,
        ),
        Check(
            "reports ÷ one scan of the orders",
            "info",
            f"cohorts {reports['cohort_ratio']}x, games {reports['games_ratio']}x"
            f" ({reports['baseline_scan_s']:.2f} s)",
            None,
        ),
        Check("RFM grid", "< 2 s", "not built here (needs RFM scores, issue 19)", None),
    ]


def _durable(row: dict[str, Any]) -> str:
    acked = row["requests"] - row["non2xx"]
    return f"{acked} acked, {row['stored']} stored, {row['non2xx'] + row['socket_errors']} bad"


def _table(headers: list[str], rows: list[list[str]], write: Callable[[str], None]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    write(line)
    write("-" * len(line))
    for r in rows:
        write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def print_report(results: dict[str, Any], write: Callable[[str], None] = print) -> list[Check]:
    ingest = results.get("ingest") or {}
    if ingest:
        write("")
        write(
            f"Webhook ingest: {ingest['config']['connections']} connections, "
            f"{ingest['config'].get('rounds', 1)} x {ingest['config']['seconds']} s per run "
            f"(turns with the baseline), generator {results['generator']}"
        )
        rows = [
            [
                r["mode"],
                r["channel"],
                f"{r['rps']:.0f}",
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                str(r["non2xx"]),
                "-" if r["ratio_to_baseline"] is None else f"{r['ratio_to_baseline']:.2f}x",
                "-" if not r.get("paired_baseline") else f"{r['paired_baseline']['rps']:.0f}",
                f"{r.get('server_rss_peak_mb') or 0:.0f}",
                f"{r.get('server_cpu_s', 0):.1f}"
                + (f"+{r['worker_cpu_s']:.1f}" if r.get("worker_cpu_s") else ""),
                "-" if r.get("handled_per_s") is None else f"{r['handled_per_s']:.0f}",
                "-" if not r.get("loop") else f"{r['loop']['asleep'] * 100:.0f} %",
            ]
            for r in ingest_rows(ingest)
        ]
        _table(
            [
                "mode",
                "channel",
                "req/s",
                "p50 ms",
                "p99 ms",
                "non-2xx",
                "÷ base",
                "base req/s",
                "RSS MB",
                "CPU s",
                "handled/s",
                "loop asleep",
            ],
            rows,
            write,
        )
    found = checks(results)
    write("")
    _table(
        ["check", "target", "actual", "pass"],
        [
            [c.name, c.target, c.actual, {True: "PASS", False: "MISS", None: "-"}[c.ok]]
            for c in found
        ],
        write,
    )
    results["targets"] = [asdict(c) for c in found]
    return found
