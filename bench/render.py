"""Rendering: what a play's image costs when cached vs drawn fresh.

A wheel play sends `games.render.media.wheel_spin` (the spin GIF + the landed still), keyed by
campaign version and slice. Measured on the demo campaign (config/content.yaml):
fresh = the first play landing on a slice (the rotating disc already drawn once),
first = the very first render in a process (fonts and disc included),
cached = every later play on that slice (answered from the cache's memory),
disk = the first play on a slice after a restart (file found on disk, one thread hop).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.procs import ROOT


async def run_render(cached_calls: int = 5000) -> dict[str, Any]:
    from bot.content.loader import load_content
    from games.render.cache import RenderCache
    from games.render.media import wheel_spin

    try:
        from bot.handlers.games_wheel import GIF_SIZE
    except ImportError:  # the handler is optional for this measurement
        GIF_SIZE = 480
    content = load_content(ROOT / "config" / "content.yaml")
    game = next(g for g in content.games if g.type == "wheel")
    slices = list(range(len(game.prizes)))
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        cache = RenderCache(Path(tmp))

        async def spin(c: RenderCache, i: int) -> float:
            t0 = time.perf_counter()
            await wheel_spin(c, game, i, gif_size=GIF_SIZE)
            return time.perf_counter() - t0

        first = await spin(cache, slices[0])
        fresh = [await spin(cache, i) for i in slices[1:]]
        renders = cache.renders
        cached = [await spin(cache, slices[n % len(slices)]) for n in range(cached_calls)]
        assert cache.renders == renders, "a cached call rendered again"
        disk = [await spin(RenderCache(Path(tmp)), i) for i in slices]
        gif = next(p for p in Path(tmp).iterdir() if p.suffix == ".gif")  # noqa: ASYNC240
        gif_bytes = gif.stat().st_size
    cached.sort()
    card_ms = _member_card_ms()
    return {
        "game": game.id,
        "slices": len(slices),
        "gif_size_px": GIF_SIZE,
        "gif_bytes": gif_bytes,
        "first_render_ms": round(first * 1000, 1),
        "fresh_render_ms": round(statistics.median(fresh) * 1000, 1) if fresh else None,
        "cached_mean_ms": round(statistics.fmean(cached) * 1000, 4),
        "cached_p99_ms": round(cached[int(0.99 * len(cached))] * 1000, 4),
        "disk_hit_ms": round(statistics.median(disk) * 1000, 3),
        "cached_calls": cached_calls,
        "member_card_ms": card_ms,
    }


def _member_card_ms(runs: int = 5) -> float:
    """A member card is drawn per member and balance, so in a rush most are fresh renders."""
    from games.render.card import MemberCardData, render_member_card

    times = []
    for i in range(runs + 1):
        card = MemberCardData(
            shop_name="Cà Phê Sữa Đá",
            member_name=f"Nguyễn Thị Bích Ngọc {i}",
            tier_name="Bạc",
            tier_color="#9E9E9E",
            points_text=f"{1250 + i:,} điểm".replace(",", "."),
            member_code=f"MB{i:06d}",
            qr_data=f"https://example.invalid/m/{i:012d}-0123456789abcdef",
            progress=0.4,
            progress_text="250 điểm nữa lên Vàng",
        )
        t0 = time.perf_counter()
        render_member_card(card)
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times[1:]) * 1000, 1)
