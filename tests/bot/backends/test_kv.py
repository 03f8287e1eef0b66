"""KeyValue: the same behaviour in-process and on Redis, including under concurrency."""

from __future__ import annotations

import asyncio

from bot.backends.base import KeyValue

from .conftest import eventually


class TestKeyValue:
    async def test_set_get_delete(self, kv: KeyValue) -> None:
        assert await kv.get("a") is None
        assert await kv.set("a", "Xin chào") is True
        assert await kv.get("a") == "Xin chào"
        assert await kv.set("a", "2") is True
        assert await kv.get("a") == "2"
        await kv.set("b", "1")
        assert await kv.delete("a", "b", "missing") == 2
        assert await kv.get("a") is None
        assert await kv.delete() == 0

    async def test_ttl_and_expiry(self, kv: KeyValue) -> None:
        await kv.set("plain", "1")
        assert await kv.ttl("plain") is None
        assert await kv.ttl("missing") is None
        await kv.set("long", "1", ttl=60)
        left = await kv.ttl("long")
        assert left is not None and 0 < left <= 60
        await kv.set("short", "1", ttl=0.05)
        await eventually(lambda: _gone(kv, "short"))
        assert await kv.ttl("short") is None
        assert await kv.set("short", "again", only_if_absent=True) is True

    async def test_only_if_absent_keeps_first_value(self, kv: KeyValue) -> None:
        assert await kv.set("k", "first", only_if_absent=True) is True
        assert await kv.set("k", "second", only_if_absent=True) is False
        assert await kv.get("k") == "first"

    async def test_only_if_absent_one_winner_of_50(self, kv: KeyValue) -> None:
        results = await asyncio.gather(
            *(kv.set("claim", str(n), ttl=30, only_if_absent=True) for n in range(50))
        )
        assert results.count(True) == 1
        assert await kv.get("claim") == str(results.index(True))

    async def test_incr_counts_every_concurrent_call(self, kv: KeyValue) -> None:
        results = await asyncio.gather(*(kv.incr("n", ttl=30) for _ in range(50)))
        assert sorted(results) == list(range(1, 51))
        assert await kv.get("n") == "50"
        assert await kv.incr("n", 5) == 55
        assert await kv.incr("n", -55) == 0

    async def test_incr_ttl_only_on_create(self, kv: KeyValue) -> None:
        assert await kv.incr("c", ttl=10) == 1
        assert await kv.incr("c", ttl=1000) == 2
        left = await kv.ttl("c")
        assert left is not None and left <= 10
        assert await kv.incr("no-ttl") == 1
        assert await kv.ttl("no-ttl") is None


async def _gone(kv: KeyValue, key: str) -> bool:
    return await kv.get(key) is None
