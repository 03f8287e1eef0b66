"""Typed application keys (aiohttp `web.AppKey`) instead of string keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime

SETTINGS = web.AppKey("settings", Settings)
RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime")
