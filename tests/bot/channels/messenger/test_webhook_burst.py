"""A burst of webhooks through the whole app: batched writes, each event once, per-user order."""

from __future__ import annotations

import asyncio

from bot.core.events import MessageEvent
from bot.models import InboxEvent

from .conftest import MessengerApp, wait_for


async def test_a_burst_is_stored_in_shared_batches_and_answered_once_in_order(
    mapp_both: MessengerApp,
) -> None:
    fb = mapp_both.fb
    users = [f"psid-burst-{u}" for u in range(8)]
    envelopes = [
        fb.envelope(fb.message(user, f"tin {n}", mid=f"m_burst_{user}_{n}"))
        for n in range(5)
        for user in users
    ]
    writer = mapp_both.runtime.inbox_writer
    flushes_before = writer.flushes

    async def post_all() -> list[list[int]]:
        return await asyncio.gather(*(fb.deliver(mapp_both.url, e) for e in envelopes))

    # Every envelope once, plus the whole burst again at the same time (platform retries).
    first, again = await asyncio.gather(post_all(), post_all())
    assert first == [[200]] * len(envelopes) and again == first

    for user in users:
        await wait_for(lambda u=user: len(fb.texts(u)) == 5, what=f"five replies to {user}")
    rows = await InboxEvent.filter(channel="messenger").order_by("id")
    assert len(rows) == len(envelopes)  # the retries found their rows: stored once each
    assert {r.status for r in rows} == {"done"}
    for user in users:
        # Each user's events were handled once each, in the order they were stored (the
        # requests raced each other, so that order is the inbox's, not the loop's).
        stored = [r.body["item"]["message"]["text"] for r in rows if r.user_id == user]
        assert sorted(stored) == [f"tin {n}" for n in range(5)]
        seen = [e.text for e in mapp_both.recorder.of(MessageEvent) if e.user_id == user]
        assert seen == stored
        assert fb.texts(user) == [f"echo: {text}" for text in stored]
    # 80 requests arrived together: they shared INSERTs instead of one each.
    assert writer.flushes - flushes_before < 2 * len(envelopes)
    assert writer.rows >= len(envelopes)
