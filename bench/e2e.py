"""End to end: what a customer feels is the reply, not the acknowledgement.

2,000 Messenger "menu" events from 500 people, offered at 200 a second, to a real `serve`
(and `worker` with Redis) whose Page points at the fake Graph (tests/fakes) running in this
process. Measured: every event answered, events answered per second, and the reply latency
from the webhook leaving here to the Send API call arriving at the fake (p50, p95, max).
Then, with Redis: `kill -9` of the worker in the middle of a second burst and a new one
started, and the time from its start until every event of the burst was answered.

`python -m bench --only e2e` (with `--modes`).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp

from bench import procs
from bench.events import SECRET

EVENTS = 2000
PEOPLE = 500
RATE = 200.0  # events offered per second
ANSWER_WITHIN = 60.0  # seconds after the last event before the run gives up waiting
EXIT_WAIT = 30.0  # seconds `serve` gets to exit after SIGTERM before the run notes a miss


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _offer(
    fb: Any, url: str, psids: list[str], n: int, rate: float
) -> dict[str, list[float]]:
    """POST `n` signed "menu" events at `rate`/s, round-robin over `psids`; the send times."""
    sent_at: dict[str, list[float]] = defaultdict(list)
    async with aiohttp.ClientSession() as http:

        async def one(k: int) -> None:
            psid = psids[k % len(psids)]
            raw = fb.encode(fb.envelope(fb.message(psid, "menu", mid=f"m{k}-{time.time_ns()}")))
            fb._note_inbound(raw)  # the fake's 24-hour window, as its own deliver() does
            sent_at[psid].append(time.time())
            async with http.post(url, data=raw, headers=fb.webhook_headers(raw)) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"webhook answered {resp.status}")

        start = time.monotonic()
        tasks = []
        for k in range(n):
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(k)))
        await asyncio.gather(*tasks)
    return sent_at


def _latencies(fb: Any, sent_at: dict[str, list[float]], since: float) -> list[float]:
    """The k-th "menu" of a person ↔ the k-th menu reply that person got (one each)."""
    replies: dict[str, list[float]] = defaultdict(list)
    for s in fb.sent:
        if s.psid in sent_at and s.at >= since and s.body.get("message"):
            replies[s.psid].append(s.at)
    out: list[float] = []
    for psid, times in sent_at.items():
        got = sorted(replies.get(psid, []))
        out += [r - t for t, r in zip(sorted(times), got, strict=False)]
    return out


async def _answered(fb: Any, sent_at: dict[str, list[float]], since: float, within: float) -> bool:
    want = sum(len(v) for v in sent_at.values())
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if len(_latencies(fb, sent_at, since)) >= want:
            return True
        await asyncio.sleep(0.2)
    return False


async def run_e2e(mode: str, work: Path, database_url: str) -> dict[str, Any]:
    from tests.fakes.graph_api import FakeGraph  # the project's own fake Graph

    redis = mode == "redis"
    async with FakeGraph() as fb:
        port = procs.free_port()
        run_dir = work / f"e2e-{mode}"
        run_dir.mkdir()
        prefix = f"e2e{time.time_ns()}:"
        env = procs.bot_env(
            run_dir, database_url, port=port, secret=SECRET,
            redis_url=procs.REDIS_URL if redis else "", redis_prefix=prefix,
        )  # fmt: skip
        env.update(
            FB_APP_SECRET=fb.app_secret,
            FB_VERIFY_TOKEN=fb.verify_token,
            FB_PAGE_ID=fb.page_id,
            FB_PAGE_ACCESS_TOKEN=fb.page_token,
            FB_GRAPH_URL=fb.base_url,
            WARM_RENDERS="false",
        )
        serve = procs.start_bot("serve", "serve", env, run_dir / "serve.log")
        worker = procs.start_bot("worker", "worker", env, run_dir / "w1.log") if redis else None
        result: dict[str, Any] = {"events": EVENTS, "people": PEOPLE, "offered_per_s": RATE}
        try:
            url = f"http://127.0.0.1:{port}"
            await asyncio.to_thread(serve.wait_http, url + "/healthz")
            hook = url + "/webhooks/messenger"
            psids = [f"e2e{n}" for n in range(PEOPLE)]
            await _offer(fb, hook, psids[:20], 20, 50.0)  # warm up (imports, first renders)
            await asyncio.sleep(2.0)
            since = time.time()
            begin = time.monotonic()
            sent_at = await _offer(fb, hook, psids, EVENTS, RATE)
            offered = time.monotonic() - begin
            done = await _answered(fb, sent_at, since, ANSWER_WITHIN)
            lat = _latencies(fb, sent_at, since)
            last_reply = max((s.at for s in fb.sent if s.at >= since), default=since)
            result.update(
                answered=len(lat),
                all_answered=done and len(lat) == EVENTS,
                offered_s=round(offered, 2),
                last_reply_after_last_event_s=round(last_reply - (since + offered), 2),
                answered_per_s=round(len(lat) / max(last_reply - since, 1e-9), 1),
                p50_s=round(_percentile(lat, 0.5), 3),
                p95_s=round(_percentile(lat, 0.95), 3),
                max_s=round(max(lat, default=float("nan")), 3),
            )
            if worker is not None:
                result["kill9_recovery_s"] = await _kill_and_recover(
                    fb, hook, psids, worker, env, run_dir
                )
            stop_at = time.monotonic()
            serve.popen.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(serve.popen.wait, EXIT_WAIT)
                result["serve_exit_after_sigterm_s"] = round(time.monotonic() - stop_at, 2)
            except subprocess.TimeoutExpired:  # a miss to report, with what serve said last
                result["serve_exit_after_sigterm_s"] = f"not within {EXIT_WAIT:.0f} s"
                result["serve_log_tail"] = serve.tail(40)
        finally:
            serve.kill()
            if worker is not None:
                worker.kill()
    return result


async def _kill_and_recover(
    fb: Any, hook: str, psids: list[str], worker: Any, env: dict[str, str], run_dir: Path
) -> float:
    """A second burst; `kill -9` of the worker in its middle; a new worker; the seconds from
    its start until every event of the burst was answered."""
    since = time.time()
    burst = asyncio.create_task(_offer(fb, hook, psids, 400, RATE))
    await asyncio.sleep(1.0)
    worker.popen.send_signal(signal.SIGKILL)
    await asyncio.to_thread(worker.popen.wait, 10)
    sent_at = await burst
    restarted = time.monotonic()
    second = procs.start_bot("worker", "worker", env, run_dir / "w2.log")
    try:
        await _answered(fb, sent_at, since, ANSWER_WITHIN)
        return round(time.monotonic() - restarted, 2)
    finally:
        second.kill()
