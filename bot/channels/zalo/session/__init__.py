"""Transports for method objects."""

from bot.channels.zalo.session.aiohttp import AiohttpSession
from bot.channels.zalo.session.base import BaseSession

__all__ = ["AiohttpSession", "BaseSession"]
