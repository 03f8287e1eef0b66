"""The scheduled segment refresh, as a queue job: every `SEGMENT_REFRESH_MINUTES`.

Registered by `bot.jobs.register_jobs` with
`queue.schedule("refresh_segments", refresh_segments, every_seconds=minutes * 60)`.
"""

from __future__ import annotations

from typing import Any

from loyalty.segments.refresh import refresh_all


async def refresh_segments(ctx: dict[str, Any]) -> int:
    """Recompute RFM scores and every segment from the live content file; returns the
    number of live members."""
    content = ctx["runtime"].content.current
    counts = await refresh_all(content.segment_spec())
    return counts.get("all", 0)


def every_seconds(settings: Any) -> int:
    return int(settings.SEGMENT_REFRESH_MINUTES) * 60
