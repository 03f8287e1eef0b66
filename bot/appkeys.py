"""Typed application keys (aiohttp `web.AppKey`): the services views may use.

Each key holds one narrow service, set once when the app is built; no view reaches for the
process's whole runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from bot.apiclient.http import SharedHttp
from bot.backends.base import KeyValue
from bot.content.store import ContentStore
from bot.contracts.channel import Channel
from bot.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CONTENT = web.AppKey("content", ContentStore)
KV = web.AppKey("kv", KeyValue)
HTTP = web.AppKey("http", SharedHttp)
CHANNELS: web.AppKey[Mapping[str, Channel]] = web.AppKey("channels")
# `/readyz`: how webhooks share their writes (`InboxIngest.stats`).
INGEST_STATS: web.AppKey[Callable[[], dict[str, Any]]] = web.AppKey("ingest_stats")
