"""A faithful fake of Meta's Graph API (Messenger Platform) on loopback HTTP.

    async with FakeGraph() as fb:                 # page1 / PAGE_TOKEN / fbsecret / verify-me
        fb.add_user("psid1", "Lan", "Nguyễn")     # inside the 24 h window
        settings = make_settings(FB_GRAPH_URL=fb.base_url, ...)
        ...                                       # the bot sends; assert on fb.sent
        await fb.deliver(webhook_url, fb.envelope(fb.message("psid1", "menu")))

Rules follow shared/reference/messenger.md §9; where Meta's docs are unclear the stricter
reading is taken and marked "our reading" in the code.
"""

from __future__ import annotations

from .errors import GraphError
from .events import EventBuilder, new_mid
from .server import FakeGraph
from .state import Attachment, Call, FakeUser, RecordedRequest, Sent, UtilityTemplate
from .webhooks import Delivery, WebhookDriver

__all__ = [
    "Attachment",
    "Call",
    "Delivery",
    "EventBuilder",
    "FakeGraph",
    "FakeUser",
    "GraphError",
    "RecordedRequest",
    "Sent",
    "UtilityTemplate",
    "WebhookDriver",
    "new_mid",
]
