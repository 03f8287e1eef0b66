"""The main menu: the content file's `menu:` items as buttons under a short text.

A button's payload is its action string (`card`, `game:lucky-wheel`, …), the same string the
Messenger persistent menu and the Zalo OA menu bar send, so every entry point lands in
`actions.run_action`. Links and call items become URL and phone buttons. Platform limits
(Zalo 5 buttons, Messenger 3 per template) are the channel renderers' job.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.content.actions import Action
from bot.content.schema import Content, MenuItem
from bot.core.messages import Button, Text
from bot.handlers.context import Chat


def action_button(title: str, action: Action) -> Button:
    """A button doing `action`: a link, a call, or a payload that comes back to us."""
    if action.kind == "url":
        return Button(title=title, url=action.arg)
    if action.kind == "call":
        return Button(title=title, phone=action.arg)
    return Button(title=title, payload=str(action))


def item_buttons(items: Iterable[MenuItem]) -> tuple[Button, ...]:
    return tuple(action_button(item.title, item.action) for item in items)


def menu_buttons(content: Content) -> tuple[Button, ...]:
    return item_buttons(content.menu)


def nav_button(content: Content, kind: str) -> Button:
    """A built-in shortcut button (`menu`, `card`, `vouchers`, `phone`) titled from texts."""
    title = {
        "menu": content.texts.button_menu,
        "card": content.texts.button_card,
        "vouchers": content.texts.button_vouchers,
        "phone": content.texts.button_share_phone,
    }[kind]
    return Button(title=title, payload=kind)


async def menu_message(chat: Chat, intro: str | None = None) -> Text:
    """The menu under `intro` (by default `texts.menu_intro`)."""
    text = intro if intro is not None else await chat.text("menu_intro")
    return Text(text=text, buttons=menu_buttons(chat.content))


async def send_menu(chat: Chat, intro: str | None = None) -> None:
    await chat.send(await menu_message(chat, intro))
