"""Retention: finished webhook and outbox rows older than the window go, the rest stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.models import InboxEvent, OutboxMessage, SkippedSend
from bot.retention import purge_expired, purge_job

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def inbox(n: int, age_days: float, status: str) -> InboxEvent:
    row = await InboxEvent.create(
        channel="zalo",
        account_id="oa",
        user_id=f"u{n}",
        dedupe_key=f"k{n}",
        event_name="user_send_text",
        body={"message": {"text": "số mình 0912345678"}},
        status=status,
    )
    await InboxEvent.filter(id=row.id).update(received_at=NOW - timedelta(days=age_days))
    return row


async def outbox(n: int, age_days: float, status: str) -> OutboxMessage:
    row = await OutboxMessage.create(
        channel="zalo",
        account_id="oa",
        user_id=f"u{n}",
        method="message/cs",
        payload={"text": "Đã lưu số 0912345678"},
        status=status,
    )
    await OutboxMessage.filter(id=row.id).update(created_at=NOW - timedelta(days=age_days))
    return row


@pytest.mark.parametrize("batch", [2, 1000])
async def test_purge_keeps_recent_and_unfinished_rows(db: str, batch: int) -> None:
    old_done = [await inbox(i, 91 + i, "done") for i in range(3)]
    old_failed = await inbox(10, 120, "failed")
    old_pending = await inbox(11, 95, "pending")  # work not done yet: never purged
    recent = await inbox(12, 89, "done")
    sent = [await outbox(i, 100, "sent") for i in range(3)]
    waiting = await outbox(20, 100, "pending")
    fresh = await outbox(21, 10, "failed")
    skip = await SkippedSend.create(channel="zalo", user_id="u1", reason="window")
    await SkippedSend.filter(id=skip.id).update(created_at=NOW - timedelta(days=200))
    keep_skip = await SkippedSend.create(channel="zalo", user_id="u2", reason="window")
    await SkippedSend.filter(id=keep_skip.id).update(created_at=NOW)

    purged = await purge_expired(NOW, 90, batch=batch)
    assert purged.as_dict() == {"inbox": 4, "outbox": 3, "skipped": 1}
    left = set(await InboxEvent.all().values_list("id", flat=True))
    assert left == {old_pending.id, recent.id}
    assert not left & {r.id for r in [*old_done, old_failed]}
    assert set(await OutboxMessage.all().values_list("id", flat=True)) == {waiting.id, fresh.id}
    assert not set(await OutboxMessage.all().values_list("id", flat=True)) & {s.id for s in sent}
    assert set(await SkippedSend.all().values_list("id", flat=True)) == {keep_skip.id}

    # A day later the 89-day-old row has expired too; nothing else changes.
    later = await purge_expired(NOW + timedelta(days=2), 90, batch=batch)
    assert later.as_dict() == {"inbox": 1, "outbox": 0, "skipped": 0}
    assert await purge_expired(NOW + timedelta(days=2), 90) == later.__class__(0, 0, 0)


async def test_the_job_purges_by_the_setting(db: str, make_settings: Any) -> None:
    await inbox(1, 0, "done")
    await inbox(2, 0, "done")
    settings = make_settings(MESSAGE_RETENTION_DAYS=30)

    # The job runs on the real clock: date the rows from it.
    await InboxEvent.all().update(received_at=datetime.now(UTC) - timedelta(days=25))
    await InboxEvent.filter(user_id="u1").update(
        received_at=datetime.now(UTC) - timedelta(days=31)
    )
    assert await purge_job(settings.MESSAGE_RETENTION_DAYS)({}) == 1
    assert await InboxEvent.all().values_list("user_id", flat=True) == ["u2"]


def test_the_window_must_be_a_day_or_more() -> None:
    import asyncio

    with pytest.raises(ValueError):
        asyncio.run(purge_expired(NOW, 0))
