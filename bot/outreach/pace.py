"""Pacing broadcast sends to a rate per channel: one budget for every worker.

`Pace` is the in-process reservation clock (one process, or no Redis). `RedisPace` keeps the
same clock in Redis, so several workers sending the same channel share one rate instead of
each taking the whole of it: each call reserves the next free slot (`next += interval`) in
one Lua script on Redis's own clock (`TIME`), and waits until its slot. It is a token bucket
of depth one (GCRA): no burst above the rate, even when workers start together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis


class Pacer(Protocol):
    async def wait(self) -> None: ...


class Pace:
    """At most `rate` calls per second in this process, spread evenly."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        at = max(self._next, now)
        self._next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


# KEYS[1] the channel's next free slot (µs, Redis clock); ARGV[1] interval µs.
# Returns how long the caller waits for its slot (µs).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
-- kept until a minute after the last slot handed out, then the budget starts afresh
local keep = math.floor((slot + interval - now) / 1000) + 60000
redis.call('SET', KEYS[1], slot + interval, 'PX', keep)
return slot - now
"""


class RedisPace:
    """`rate` calls per second shared by every process using the same `key`."""

    def __init__(self, redis: Redis, key: str, rate: float) -> None:
        self.key = key
        self.interval_us = max(1, int(1_000_000 / rate))
        self._script = redis.register_script(_RESERVE)

    async def reserve(self) -> float:
        """Take the next free slot of the shared budget; seconds until it comes."""
        return int(await self._script(keys=[self.key], args=[self.interval_us])) / 1_000_000

    async def wait(self) -> None:
        delay = await self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)


PacerFactory = Callable[[str, float], Pacer]
"""(channel name, calls per second) → its pacer."""


def local_pacers(channel: str, rate: float) -> Pacer:
    return Pace(rate)


def redis_pacers(redis: Redis, prefix: str) -> PacerFactory:
    """Pacers whose budget lives in Redis under `{prefix}outreach:pace:{channel}`."""

    def make(channel: str, rate: float) -> Pacer:
        return RedisPace(redis, f"{prefix}outreach:pace:{channel}", rate)

    return make
