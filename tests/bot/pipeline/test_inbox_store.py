"""The inbox's unique key is the dedupe of platform retries, even when they arrive at once."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.contracts.inbox import InboxItem
from bot.models import InboxEvent
from bot.pipeline.ingest.postgres import PostgresInboxWriter
from tests.helpers import store_rows


async def store_items(channel: str, items: list[InboxItem]) -> list[InboxItem]:
    """Store one channel's items; return the ones that were new, in order."""
    return [item for (_, item), _ in await store_rows([(channel, i) for i in items])]


def _item(key: str, user: str = "u1", text: str = "Chào shop") -> InboxItem:
    return InboxItem(
        account_id="oa1",
        user_id=user,
        dedupe_key=key,
        event_name="user_send_text",
        body={"event_name": "user_send_text", "message": {"msg_id": key, "text": text}},
    )


async def test_same_item_stored_once_under_concurrency(db: str) -> None:
    results = await asyncio.gather(*(store_items("zalo", [_item("m1")]) for _ in range(5)))
    assert sum(len(r) for r in results) == 1
    assert await InboxEvent.filter(channel="zalo", dedupe_key="m1").count() == 1


async def test_batch_returns_only_new_items_and_keeps_utf8(db: str) -> None:
    first = await store_items("messenger", [_item("a"), _item("b", text="Bắt đầu")])
    second = await store_items("messenger", [_item("b"), _item("c", user="u2")])
    assert [i.dedupe_key for i in first] == ["a", "b"]
    assert [i.dedupe_key for i in second] == ["c"]
    row = await InboxEvent.get(channel="messenger", dedupe_key="b")
    assert row.body["message"]["text"] == "Bắt đầu"
    assert row.status == "pending"


async def test_same_key_on_two_channels_is_two_events(db: str) -> None:
    await store_items("zalo", [_item("x")])
    await store_items("messenger", [_item("x")])
    assert await InboxEvent.filter(dedupe_key="x").count() == 2


async def test_the_writer_reuses_its_connections_and_survives_a_dead_one(
    db: str, is_postgres: bool
) -> None:
    """PostgreSQL: one held connection per batch in flight, reused, given back at close; a
    connection killed while idle is replaced and the batch still stored (once)."""
    if not is_postgres:
        pytest.skip("held connections are a PostgreSQL feature (TEST_DATABASE_URL)")
    writer = PostgresInboxWriter()
    try:
        await writer.store([("zalo", _item("h1"))])
        await writer.store([("zalo", _item("h2"))])
        assert writer.held == 1  # the same connection for consecutive batches
        await asyncio.gather(
            writer.store([("zalo", _item("h3"))]), writer.store([("zalo", _item("h4"))])
        )
        assert writer.held == 2  # one per batch in flight
        admin = await asyncpg.connect(db)
        try:
            pids = [raw.get_server_pid() for raw in writer._idle]
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid", pids
            )
        finally:
            await admin.close()
        new = await writer.store([("zalo", _item("h5")), ("zalo", _item("h1"))])
        assert [item.dedupe_key for (_, item), _ in new] == ["h5"]
    finally:
        await writer.close()
    assert writer.held == 0
    keys = await InboxEvent.filter(channel="zalo").values_list("dedupe_key", flat=True)
    assert sorted(keys) == ["h1", "h2", "h3", "h4", "h5"]  # each once
