"""Graph transports: `GraphSession` (the contract) and the aiohttp implementation."""

from bot.channels.messenger.session.aiohttp import AiohttpGraphSession
from bot.channels.messenger.session.base import GraphSession

__all__ = ["AiohttpGraphSession", "GraphSession"]
