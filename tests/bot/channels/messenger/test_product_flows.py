"""The product's own flows, rendered for Messenger, are all accepted by the fake Graph.

No test router here: whatever the welcome, menu, card, phone, games and default-reply flows
send must fit Messenger's limits (the fake answers code 100 otherwise), so a flow that grows
a fourth button or a longer title is caught on this channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.app import build_app
from bot.models import InboxEvent, OutboxMessage
from bot.settings import Settings
from tests.fakes.graph_api import FakeGraph

from .conftest import wait_for


async def settled() -> bool:
    busy_in = await InboxEvent.filter(status__in=("pending", "processing")).exists()
    return not busy_in and not await OutboxMessage.filter(status="pending").exists()


async def test_every_product_reply_is_accepted_by_graph(
    fb: FakeGraph, aiohttp_client: Any, clean_db: str, fb_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(build_app(fb_settings()))
    url = str(client.make_url("/webhooks/messenger"))
    fb.add_user("psid1", "Lan", "Nguyễn")
    steps = [
        fb.postback("psid1", "GET_STARTED", referral="qr-ban-1"),
        fb.message("psid1", "menu"),
        fb.postback("psid1", "card"),
        fb.postback("psid1", "vouchers"),
        fb.postback("psid1", "phone"),
        fb.message("psid1", "+84901234567", quick_reply="+84901234567"),
        fb.postback("psid1", "game:lucky-wheel"),
        fb.postback("psid1", "game:quiz"),
        fb.postback("psid1", "text:opening-hours"),
        fb.message("psid1", "linh tinh gì đó"),
    ]
    for item in steps:
        assert await fb.deliver(url, fb.envelope(item)) == [200]
    await wait_for(settled, what="all events handled and replies sent")
    rows = await OutboxMessage.filter(channel="messenger").order_by("id")
    failures = [(r.id, r.last_error) for r in rows if r.status != "sent"]
    assert failures == []
    assert len(rows) >= len(steps)
    assert [e.error for e in await InboxEvent.all() if e.error] == []
    assert len(fb.sent) == len(rows)
