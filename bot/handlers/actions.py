"""One place where every action lands, whatever asked for it.

Menu buttons and Messenger persistent-menu items come back as payloads holding the action
string; keywords name an action; the Zalo OA menu bar sends a text the admin typed there.
Texts are accepted with or without a leading `#` (`#card`, `card`, `#game:lucky-wheel`); the
Zalo channel already turns `#…` texts into payloads. Actions:

- `menu`, `card`, `vouchers`, `phone`: the built-in flows
- `text:<key>`: the canned reply `replies.<key>`
- `game:<id>`: handed to the games router as the payload `game:<id>`
- `url:…`, `call:…`: normally buttons; asked for by a keyword, the link or number is sent

An action naming something the content no longer has (an old button) gets `texts.unavailable`.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.content.actions import Action, ActionSyntaxError
from bot.core.events import Event, MessageEvent, PayloadEvent
from bot.core.filters import Filter
from bot.core.handler import UNHANDLED
from bot.core.messages import Image, OutboundMessage, Text
from bot.core.router import Router
from bot.handlers import card, phone, vouchers
from bot.handlers.context import Chat, ChatMiddleware
from bot.handlers.menu import item_buttons, send_menu

log = logging.getLogger("bot.handlers.actions")

GAME_ROUTER = "game_router"  # dispatcher data key: the games router, when installed
COMMAND_PREFIX = "#"


def parse_action(raw: str) -> Action | None:
    """`card`, `#card`, ` #game:quiz ` → an Action; anything else → None."""
    text = raw.strip()
    if text.startswith(COMMAND_PREFIX):
        text = text[len(COMMAND_PREFIX) :].strip()
    if not text or len(text) > 600:
        return None
    try:
        return Action.parse(text)
    except ActionSyntaxError:
        return None


class IsAction(Filter):
    """Passes when the payload (or, for `text=True`, the typed text) is an action string."""

    provides = ("action",)

    def __init__(self, *, text: bool = False) -> None:
        self.text = text

    def __call__(self, event: Event) -> dict[str, Any] | bool:
        if self.text:
            raw = event.text if isinstance(event, MessageEvent) and not event.attachments else ""
        else:
            raw = event.payload if isinstance(event, PayloadEvent) else ""
        action = parse_action(raw) if raw else None
        return {"action": action} if action is not None else False


async def unavailable(chat: Chat) -> None:
    await chat.send(Text(text=await chat.text("unavailable")))


async def run_action(chat: Chat, action: Action) -> None:
    """Do what `action` says for the person behind `chat.event`."""
    kind = action.kind
    if kind == "menu":
        await send_menu(chat)
    elif kind == "card":
        await card.send_card(chat)
    elif kind == "vouchers":
        await vouchers.send_vouchers(chat)
    elif kind == "phone":
        await phone.ask_phone(chat)
    elif kind == "text":
        await send_canned_reply(chat, action.arg)
    elif kind == "game":
        await open_game(chat, action)
    else:  # url, call: a keyword asked for a link or a number
        await chat.send(Text(text=action.arg))


async def send_canned_reply(chat: Chat, key: str) -> None:
    reply = chat.content.reply(key)
    if reply is None:
        await unavailable(chat)
        return
    messages: list[OutboundMessage] = []
    image = await chat.services.media.asset_url(chat.content, reply.image)
    if image:
        messages.append(Image(url=image))
    text = await chat.render(reply.text)
    messages.append(Text(text=text, buttons=item_buttons(reply.buttons)))
    await chat.send(*messages)


async def open_game(chat: Chat, action: Action) -> None:
    """Hand `game:<id>` to the games router, as if the person had tapped its button."""
    router = chat.data.get(GAME_ROUTER)
    if chat.content.game(action.arg) is None or not isinstance(router, Router):
        await unavailable(chat)
        return
    event = chat.event
    if isinstance(event, PayloadEvent) and event.payload == str(action):
        synthetic = event
    else:
        synthetic = PayloadEvent(
            channel=event.channel,
            account_id=event.account_id,
            user_id=event.user_id,
            event_id=event.event_id,
            timestamp_ms=event.timestamp_ms,
            user_id_by_app=event.user_id_by_app,
            raw=event.raw,
            payload=str(action),
        )
    data = {key: value for key, value in chat.data.items() if key not in ("chat", "action")}
    result = await router.propagate(synthetic, {**data, "event": synthetic})
    if result is UNHANDLED:
        log.warning("the games router did not handle %s", action)
        await unavailable(chat)


def make_router() -> Router:
    """Payloads and typed commands that are action strings."""
    router = Router(name="actions")
    router.middleware.register(ChatMiddleware())

    @router.payload(IsAction())
    async def on_action_payload(chat: Chat, action: Action) -> None:
        await run_action(chat, action)

    @router.message(IsAction(text=True))
    async def on_action_text(chat: Chat, action: Action) -> None:
        await run_action(chat, action)

    return router
