"""A faithful fake of the Zalo platforms (OA Open API, OAuth v4, Graph, ZNS) over loopback
HTTP, plus a webhook driver for the other direction. See `FakeZalo`.

    async with FakeZalo() as zalo:            # ZALO_*_URL = zalo.url for all four bases
        access, refresh = zalo.issue_tokens()  # seed ZALO_OA_ACCESS/REFRESH_TOKEN
        zalo.add_user("u1", "Lan")
        await zalo.deliver(webhook_url, zalo.events.user_send_text("u1", "menu"))
        assert zalo.sent[-1].message["text"] == ...
"""

from __future__ import annotations

from tests.fakes.zalo.core import FakeZalo
from tests.fakes.zalo.graph import appsecret_proof
from tests.fakes.zalo.oauth import pkce_challenge
from tests.fakes.zalo.state import DAY_MS, HOUR_MS, FakeUser, SentMessage, new_id, new_msg_id
from tests.fakes.zalo.webhooks import mac

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "FakeUser",
    "FakeZalo",
    "SentMessage",
    "appsecret_proof",
    "mac",
    "new_id",
    "new_msg_id",
    "pkce_challenge",
]
