"""Zalo Official Account channel: an async, typed, aiogram-style OA client and webhook.

    client = ZaloClient(AiohttpSession(ZaloAPIServer.from_settings(settings)), tokens=...)
    sent = await client(SendMessage(recipient=Recipient(user_id="…"), message=Message(text="…")))

Layout: `methods/` (one typed object per API call), `types/` (wire models), `session/`
(the only I/O), `client.py` (token refresh + transient retries), `tokens.py` (rotating pair
in the DB), `mac.py` + `webhook.py` (inbound), `parser.py` + `inbound.py` (→ neutral events),
`renderer.py` + `delivery.py` (neutral messages → Zalo), `channel.py` (the pipeline adapter).
"""

from bot.apiclient.retry import RetryPolicy
from bot.channels.zalo.api_server import ZaloAPIServer
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.session import AiohttpSession, BaseSession

__all__ = ["AiohttpSession", "BaseSession", "RetryPolicy", "ZaloAPIServer", "ZaloClient"]
