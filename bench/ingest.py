"""Webhook ingest: the bare baseline vs `POST /webhooks/{messenger,zalo}` under one load.

Each project run gets a fresh `serve` (and, in Redis mode, a fresh `worker`) on a fresh
database, a short warm-up with other events, then the measured run. Besides the generator's
figures it records what the server did: rows stored during the run (every 2xx must be a
stored row: durable before the ack), their states, CPU time and peak RSS of the processes.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import procs
from bench.events import SECRET, generate, write_file
from bench.load import LoadResult, run_load

CHANNELS = ("messenger", "zalo")


@dataclass(slots=True)
class IngestConfig:
    seconds: int = 8
    warmup_seconds: int = 2
    connections: int = 32
    lines: int = 60_000  # distinct bodies per channel: more than the project can send in a run


async def _inbox_counts(database_url: str) -> dict[str, int]:
    sql = "SELECT status, COUNT(*) FROM inbox_event GROUP BY status"
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://")

        def read() -> dict[str, int]:
            con = sqlite3.connect(path, timeout=10)
            try:
                return {str(s): int(n) for s, n in con.execute(sql)}
            finally:
                con.close()

        return await asyncio.to_thread(read)
    import asyncpg

    conn = await asyncpg.connect(database_url, timeout=5)
    try:
        return {r[0]: int(r[1]) for r in await conn.fetch(sql)}
    finally:
        await conn.close()


def _total(counts: dict[str, int]) -> int:
    return sum(counts.values())


class IngestBench:
    def __init__(self, cfg: IngestConfig, wrk: str | None, work: Path) -> None:
        self.cfg, self.wrk, self.work = cfg, wrk, work
        self.files: dict[str, Path] = {}
        self.warm: dict[str, Path] = {}
        self.lines: dict[str, int] = {}

    def prepare_files(self) -> None:
        run = secrets.token_hex(3)
        for ch in CHANNELS:
            self.files[ch] = self.work / f"{ch}.txt"
            self.lines[ch] = write_file(self.files[ch], generate(ch, self.cfg.lines, run=run))
            self.warm[ch] = self.work / f"{ch}-warmup.txt"
            write_file(self.warm[ch], generate(ch, 20_000, run=run + "w"))

    async def _load(self, url: str, ch: str, *, warmup: bool = False) -> LoadResult:
        file = self.warm[ch] if warmup else self.files[ch]
        seconds = self.cfg.warmup_seconds if warmup else self.cfg.seconds
        return await run_load(
            self.wrk, url, file, 20_000 if warmup else self.lines[ch],
            connections=self.cfg.connections, seconds=seconds,
        )  # fmt: skip

    async def start_baseline(self) -> None:
        """The bare server stays up (idle) for the whole ingest part: each project run is
        paired with a baseline run right before it, on the same channel."""
        port = procs.free_port()
        args = [sys.executable, "-m", "bench.baseline", "--port", str(port), "--secret", SECRET]
        env = procs.bot_env(self.work, "sqlite://unused", port=port, secret=SECRET)
        self.base_proc = procs.Proc("baseline", args, env, self.work / "baseline.log")
        self.base_url = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(self.base_proc.wait_http, self.base_url + "/healthz")

    async def baseline_run(self, ch: str) -> dict[str, Any]:
        proc = self.base_proc
        await self._load(self.base_url, ch, warmup=True)
        cpu0 = proc.cpu_seconds()
        result = await self._load(self.base_url, ch)
        return {
            **result.as_dict(),
            "server_cpu_s": round(proc.cpu_seconds() - cpu0, 2),
            "server_rss_peak_mb": round(proc.memory_kb().get("VmHWM", 0) / 1024, 1),
        }

    async def baseline(self) -> dict[str, Any]:
        return {ch: await self.baseline_run(ch) for ch in CHANNELS}

    async def project_run(
        self, ch: str, mode: str, database_url: str, *, redis_prefix: str = ""
    ) -> dict[str, Any]:
        """One channel against a fresh `serve` (+ `worker` in Redis mode), right after a
        baseline run on the same channel: machines drift, the pair is what is compared."""
        paired = await self.baseline_run(ch)
        port = procs.free_port()
        run_dir = self.work / f"{mode}-{ch}"
        run_dir.mkdir()
        redis_url = procs.REDIS_URL if redis_prefix else ""
        env = procs.bot_env(
            run_dir, database_url, port=port, secret=SECRET,
            redis_url=redis_url, redis_prefix=redis_prefix or "zlb:",
        )  # fmt: skip
        serve = procs.start_bot("serve", "serve", env, run_dir / "serve.log")
        worker = (
            procs.start_bot("worker", "worker", env, run_dir / "worker.log") if redis_url else None
        )
        try:
            url = f"http://127.0.0.1:{port}"
            await asyncio.to_thread(serve.wait_http, url + "/healthz")
            await self._load(url, ch, warmup=True)
            await asyncio.sleep(0.3)
            before = await _inbox_counts(database_url)
            cpu0 = serve.cpu_seconds()
            wcpu0 = worker.cpu_seconds() if worker else 0.0
            result = await self._load(url, ch)
            cpu = serve.cpu_seconds() - cpu0
            wcpu = worker.cpu_seconds() - wcpu0 if worker else 0.0
            mem = serve.memory_kb()
            wmem = worker.memory_kb() if worker else {}
            await asyncio.sleep(0.3)
            after = await _inbox_counts(database_url)
            if serve.popen.poll() is not None:
                raise RuntimeError(f"serve died during the run:\n{serve.tail()}")
        finally:
            serve.kill()
            if worker:
                worker.kill()
        stored = _total(after) - _total(before)
        handled = after.get("done", 0) - before.get("done", 0)
        acked = result.requests - result.non2xx
        return {
            **result.as_dict(),
            "paired_baseline": {k: paired[k] for k in ("rps", "p50_ms", "p99_ms")},
            "stored": stored,
            # Every acknowledged event is a row; a few more may be in flight at the stop.
            "durable": acked <= stored <= acked + self.cfg.connections and result.repeated == 0,
            "inbox_after": after,
            # Events the handlers finished during the run (the rest waits in the inbox).
            "handled_per_s": round(handled / result.seconds, 1) if result.seconds else None,
            "server_cpu_s": round(cpu, 2),
            "worker_cpu_s": round(wcpu, 2),
            "server_rss_peak_mb": round(mem.get("VmHWM", 0) / 1024, 1),
            "server_rss_end_mb": round(mem.get("VmRSS", 0) / 1024, 1),
            "worker_rss_peak_mb": round(wmem.get("VmHWM", 0) / 1024, 1) if worker else None,
        }

    async def embedded(self) -> dict[str, Any]:
        dbs = procs.SqliteFiles(self.work)
        env = procs.bot_env(self.work, "sqlite://x", port=8080, secret=SECRET)
        await asyncio.to_thread(dbs.prepare, env, self.work / "sqlite-upgrade.log")
        return {ch: await self.project_run(ch, "embedded", dbs.fresh()) for ch in CHANNELS}

    async def redis_worker(self, pg: procs.Postgres | None) -> dict[str, Any]:
        if pg is None:
            return {"skipped": f"PostgreSQL not reachable at {procs.PG_ADMIN_URL}"}
        if not await procs.redis_available():
            return {"skipped": f"Redis not reachable at {procs.REDIS_URL}"}
        out: dict[str, Any] = {}
        for ch in CHANNELS:
            prefix = f"bench-{secrets.token_hex(4)}:"
            try:
                out[ch] = await self.project_run(
                    ch, "redis", await pg.fresh(), redis_prefix=prefix
                )
            finally:
                await procs.redis_cleanup(prefix)
        return out

    async def run(self, modes: tuple[str, ...], pg: procs.Postgres | None) -> dict[str, Any]:
        """Baseline first, then each mode; `pg` is a prepared template (None: unavailable)."""
        self.prepare_files()
        out: dict[str, Any] = {"config": {**_cfg(self.cfg), "lines": self.lines}}
        await self.start_baseline()
        try:
            out["baseline"] = await self.baseline()
            if "embedded" in modes:
                out["embedded"] = await self.embedded()
            if "redis" in modes:
                out["redis"] = await self.redis_worker(pg)
        finally:
            self.base_proc.kill()
        return out


def _cfg(cfg: IngestConfig) -> dict[str, Any]:
    return {
        "seconds": cfg.seconds,
        "warmup_seconds": cfg.warmup_seconds,
        "connections": cfg.connections,
    }
