"""The last router: what nothing else understood.

Unmatched messages get `default_reply.text` with the menu, at most once per
`default_reply.cooldown_seconds` per person (a chatty customer is not told "I didn't
understand" after every line; staff answer them in the inbox meanwhile). The cooldown is a
`SET NX` with a TTL in the key-value backend, so it holds across processes.

Unknown payloads (a button from an old menu) get `texts.unavailable`. Zalo's "chat now"
(someone opened the chat from the OA profile, `chat_now`) gets the menu, rate-limited too.
"""

from __future__ import annotations

from bot.backends.base import KeyValue
from bot.core.events import Event
from bot.core.filters import Payload
from bot.core.router import Router
from bot.handlers.actions import unavailable
from bot.handlers.context import Chat, ChatMiddleware
from bot.handlers.menu import send_menu

CHAT_NOW = "chat_now"  # the Zalo channel's payload for `user_click_chatnow`


async def cooldown_passed(kv: KeyValue, event: Event, what: str, seconds: int) -> bool:
    """True at most once per `seconds` for this person and `what` (always for 0)."""
    if seconds <= 0:
        return True
    key = f"cooldown:{what}:{event.channel}:{event.account_id}:{event.user_id}"
    return await kv.set(key, "1", ttl=seconds, only_if_absent=True)


def make_router() -> Router:
    router = Router(name="default-reply")
    router.middleware.register(ChatMiddleware())

    @router.payload(Payload(CHAT_NOW))
    async def on_chat_now(chat: Chat) -> None:
        seconds = chat.content.default_reply.cooldown_seconds
        if await cooldown_passed(chat.services.kv, chat.event, "chat_now", seconds):
            await send_menu(chat)

    @router.payload()
    async def on_unknown_payload(chat: Chat) -> None:
        await unavailable(chat)

    @router.message()
    async def on_anything(chat: Chat) -> None:
        default = chat.content.default_reply
        if await cooldown_passed(
            chat.services.kv, chat.event, "default", default.cooldown_seconds
        ):
            await send_menu(chat, await chat.render(default.text))

    return router
