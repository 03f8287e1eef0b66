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
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench import procs
from bench.events import SECRET, generate, write_file
from bench.load import LoadResult, run_load
from games.render.warm import READY as WARM_READY

CHANNELS = ("messenger", "zalo")
T = TypeVar("T")


@dataclass(slots=True)
class IngestConfig:
    seconds: int = 4  # per round
    rounds: int = 3  # baseline and project take turns this many times
    warmup_seconds: int = 2
    connections: int = 32
    lines: int = 20_000  # at least this many distinct bodies per channel and round
    headroom: float = 1.5  # a round's file holds this × the fastest rate seen × its seconds


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
    def __init__(
        self, cfg: IngestConfig, wrk: str | None, work: Path, profile_dir: Path | None = None
    ) -> None:
        self.cfg, self.wrk, self.work = cfg, wrk, work
        self.profile_dir = profile_dir  # py-spy profiles of serve/worker during the rounds
        self.files: dict[tuple[str, int], tuple[Path, int]] = {}  # (channel, round): file, lines
        self.tag = secrets.token_hex(3)
        self.fastest = 0.0  # highest req/s seen so far (the baseline): sizes the round files

    def _file(self, ch: str, round_: int) -> tuple[Path, int]:
        """The round's events (-1: the warm-up's), enough that no request repeats one.

        Sized from the fastest rate seen so far, so a fast machine does not run out (the
        warm-up against the baseline comes first and sets it); regenerated with new events
        if a later round ran faster than the file allows.
        """
        seconds = self.cfg.warmup_seconds if round_ < 0 else self.cfg.seconds
        need = max(self.cfg.lines, int(self.fastest * seconds * self.cfg.headroom))
        have = self.files.get((ch, round_))
        if have is not None and have[1] >= need:
            return have
        tag = f"{self.tag}{'w' if round_ < 0 else f'r{round_}'}{len(self.files)}"
        path = self.work / f"{ch}-{'warmup' if round_ < 0 else round_}.txt"
        self.files[ch, round_] = (path, write_file(path, generate(ch, need, run=tag)))
        return self.files[ch, round_]

    async def _load(self, url: str, ch: str, *, round_: int = -1) -> LoadResult:
        """A measured round (`round_` >= 0, its own events) or the warm-up (-1)."""
        file, lines = await asyncio.to_thread(self._file, ch, round_)
        seconds = self.cfg.warmup_seconds if round_ < 0 else self.cfg.seconds
        result = await run_load(
            self.wrk, url, file, lines, connections=self.cfg.connections, seconds=seconds
        )
        self.fastest = max(self.fastest, result.rps)
        return result

    async def start_baseline(self) -> None:
        """The bare server stays up (idle) for the whole ingest part: each project run is
        paired with a baseline run right before it, on the same channel."""
        port = procs.free_port()
        args = [sys.executable, "-m", "bench.baseline", "--port", str(port), "--secret", SECRET]
        env = procs.bot_env(self.work, "sqlite://unused", port=port, secret=SECRET)
        self.base_proc = procs.Proc("baseline", args, env, self.work / "baseline.log")
        self.base_url = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(self.base_proc.wait_http, self.base_url + "/healthz")

    async def _baseline_round(
        self, ch: str, round_: int
    ) -> tuple[LoadResult, float, tuple[float, float, float]]:
        """One baseline round: its load result, CPU seconds and loop (ran, waited, wall)."""
        cpu0 = self.base_proc.cpu_seconds()
        result, loop = await asyncio.gather(
            self._load(self.base_url, ch, round_=round_), self._loop_window(self.base_proc)
        )
        return result, self.base_proc.cpu_seconds() - cpu0, loop

    async def baseline(self) -> dict[str, Any]:
        """The bare server alone, every channel, as many rounds as a project run."""
        out: dict[str, Any] = {}
        for ch in CHANNELS:
            await self._load(self.base_url, ch)
            done = [await self._baseline_round(ch, r) for r in range(self.cfg.rounds)]
            out[ch] = {
                **_merge([res for res, _, _ in done]),
                "server_cpu_s": round(sum(cpu for _, cpu, _ in done), 2),
                "loop": _loop_shares(*(sum(lp[i] for _, _, lp in done) for i in range(3))),
                "server_rss_peak_mb": round(self.base_proc.memory_kb().get("VmHWM", 0) / 1024, 1),
            }
        return out

    async def project_run(
        self, ch: str, mode: str, database_url: str, *, redis_prefix: str = ""
    ) -> dict[str, Any]:
        """One channel against a fresh `serve` (+ `worker` in Redis mode).

        The bare baseline and the project take turns, round by round, on the same requests:
        shared machines drift by tens of percent within a minute, and interleaving puts the
        same drift on both sides of the ratio.
        """
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
        base: list[LoadResult] = []
        mine: list[LoadResult] = []
        cpu = own = wcpu = 0.0  # serve with its children, serve alone, the worker
        loop_ran = loop_waited = loop_wall = 0.0  # serve's main thread (the event loop)
        try:
            url = f"http://127.0.0.1:{port}"
            await asyncio.to_thread(serve.wait_http, url + "/healthz")
            # A flash sale meets a process that has been up for a while: its campaign images
            # are drawn (`WARM_RENDERS`) before the load starts, not during the rounds.
            if env.get("WARM_RENDERS", "true").lower() not in ("0", "false", "no", "off"):
                await asyncio.to_thread((worker or serve).wait_log, WARM_READY)
            await self._load(url, ch)
            ours = [serve] + ([worker] if worker else [])
            await self._paused(ours, self._load(self.base_url, ch))
            await asyncio.sleep(0.3)
            before = await _inbox_counts(database_url)
            for r in range(self.cfg.rounds):
                base.append((await self._paused(ours, self._baseline_round(ch, r)))[0])
                spies = self._profile(f"{mode}-{ch}", r, serve, worker)
                cpu0, own0 = serve.cpu_seconds(), serve.own_cpu_seconds()
                wcpu0 = worker.cpu_seconds() if worker else 0.0
                try:
                    result, (ran, waited, wall) = await asyncio.gather(
                        self._load(url, ch, round_=r), self._loop_window(serve)
                    )
                    mine.append(result)
                finally:
                    for spy in spies:
                        spy.stop()
                loop_ran += ran
                loop_waited += waited
                loop_wall += wall
                cpu += serve.cpu_seconds() - cpu0
                own += serve.own_cpu_seconds() - own0
                wcpu += worker.cpu_seconds() - wcpu0 if worker else 0.0
            mem = serve.memory_kb()
            kids = serve.children_memory_kb()  # the SQLite writer: part of serve's footprint
            wmem = worker.memory_kb() if worker else {}
            await asyncio.sleep(0.3)
            after = await _inbox_counts(database_url)
            if serve.popen.poll() is not None:
                raise RuntimeError(f"serve died during the run:\n{serve.tail()}")
        finally:
            serve.kill()
            if worker:
                worker.kill()
        result = _merge(mine)
        paired = _merge(base)
        stored = _total(after) - _total(before)
        handled = after.get("done", 0) - before.get("done", 0)
        acked = result["requests"] - result["non2xx"]
        slack = self.cfg.connections * self.cfg.rounds  # in flight when a round stopped
        return {
            **result,
            "paired_baseline": {k: paired[k] for k in ("rps", "p50_ms", "p99_ms")},
            "round_ratios": [
                round(m.rps / b.rps, 3) if b.rps else None for m, b in zip(mine, base, strict=True)
            ],
            # Each round on its own: a stall shows up in one round's p90/p99/max, not in all.
            "rounds_detail": [
                {k: getattr(m, k) for k in ("rps", "p50_ms", "p90_ms", "p99_ms", "max_ms")}
                for m in mine
            ],
            "stored": stored,
            # Every acknowledged event is a row; a few more may be in flight at each stop.
            "durable": acked <= stored <= acked + slack and result["repeated"] == 0,
            "inbox_after": after,
            # Events the handlers finished during the run (the rest waits in the inbox).
            "handled_per_s": round(handled / result["seconds"], 1) if result["seconds"] else None,
            "server_cpu_s": round(cpu, 2),  # the SQLite writer's included
            "writer_cpu_s": round(max(0.0, cpu - own), 2) if kids else None,
            "worker_cpu_s": round(wcpu, 2),
            # Where serve's event loop spent the rounds: running, waiting for a CPU, asleep
            # (waiting on the database, on SQLite's thread, on the next request).
            "loop": _loop_shares(loop_ran, loop_waited, loop_wall),
            # serve's own peak plus its children's (the SQLite writer process), each at its
            # own peak: the most the two could have held at once.
            "server_rss_peak_mb": round((mem.get("VmHWM", 0) + kids.get("VmHWM", 0)) / 1024, 1),
            "server_rss_end_mb": round((mem.get("VmRSS", 0) + kids.get("VmRSS", 0)) / 1024, 1),
            "writer_rss_peak_mb": round(kids.get("VmHWM", 0) / 1024, 1) if kids else None,
            "worker_rss_peak_mb": round(wmem.get("VmHWM", 0) / 1024, 1) if worker else None,
        }

    async def _loop_window(self, proc: procs.Proc) -> tuple[float, float, float]:
        """(ran, waited, wall) seconds of `proc`'s main thread inside a round's load: from
        1 s after the generator starts (its start-up, the connections) to 0.5 s before the
        end. Rounds shorter than 2.5 s give zeros (nothing reported)."""
        seconds = self.cfg.seconds
        if seconds < 2.5:
            return 0.0, 0.0, 0.0
        await asyncio.sleep(1.0)
        ran0, waited0 = proc.schedstat()
        start = time.monotonic()
        await asyncio.sleep(seconds - 1.5)
        ran1, waited1 = proc.schedstat()
        return ran1 - ran0, waited1 - waited0, time.monotonic() - start

    @staticmethod
    async def _paused(ours: list[procs.Proc], turn: Awaitable[T]) -> T:
        """The baseline's turn with the project's processes stopped (SIGSTOP).

        Left running, they handled their backlog while the baseline ran: the baseline then
        shared the machine (a lower rate, a flattering ratio) and the project got that work
        done off its own clock. Stopped, the project pays for its backlog in its own rounds.
        """
        for proc in ours:
            proc.pause()
        try:
            return await turn
        finally:
            for proc in ours:
                proc.resume()

    def _profile(
        self, label: str, round_: int, serve: procs.Proc, worker: procs.Proc | None
    ) -> list[Any]:
        """py-spy on the processes for one of the project's own rounds (`--profile DIR`):
        one file per process and round, `cat` them together for the whole run."""
        if self.profile_dir is None:
            return []
        pairs = [("serve", serve)] + ([("worker", worker)] if worker else [])
        return [
            procs.Spy(proc.pid, self.profile_dir / f"{label}-{name}.r{round_}.txt")
            for name, proc in pairs
        ]

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
        out: dict[str, Any] = {"config": _cfg(self.cfg)}
        await self.start_baseline()
        try:
            out["baseline"] = await self.baseline()
            if "embedded" in modes:
                out["embedded"] = await self.embedded()
            if "redis" in modes:
                out["redis"] = await self.redis_worker(pg)
        finally:
            self.base_proc.kill()
        out["config"]["lines"] = {
            f"{ch}-{'warmup' if r < 0 else r}": n for (ch, r), (_, n) in self.files.items()
        }
        return out


def _loop_shares(ran: float, waited: float, wall: float) -> dict[str, float] | None:
    if wall <= 0 or ran <= 0:
        return None  # no schedstat on this kernel
    return {
        "running": round(ran / wall, 3),
        "runnable": round(waited / wall, 3),
        "asleep": round(max(0.0, wall - ran - waited) / wall, 3),
    }


def _merge(runs: list[LoadResult]) -> dict[str, Any]:
    """Rounds as one run: counts add up, rates over the summed time, the worst p50/p99."""
    seconds = sum(r.seconds for r in runs)
    requests = sum(r.requests for r in runs)
    return {
        "generator": runs[0].generator,
        "connections": runs[0].connections,
        "rounds": len(runs),
        "requests": requests,
        "repeated": sum(r.repeated for r in runs),
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": max(r.p50_ms for r in runs),
        "p90_ms": max(r.p90_ms for r in runs),
        "p99_ms": max(r.p99_ms for r in runs),
        "max_ms": max(r.max_ms for r in runs),
        "non2xx": sum(r.non2xx for r in runs),
        "socket_errors": sum(r.socket_errors for r in runs),
    }


def _cfg(cfg: IngestConfig) -> dict[str, Any]:
    return {
        "rounds": cfg.rounds,
        "seconds": cfg.seconds,
        "warmup_seconds": cfg.warmup_seconds,
        "connections": cfg.connections,
    }
