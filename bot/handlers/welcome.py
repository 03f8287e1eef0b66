"""Welcome: a Zalo follow or a Messenger Get Started gets the greeting, the banner, the menu.

Each person is greeted once per follow. `Contact.greeted_at` means "greeted since the last
follow": a follow claims it with one conditional UPDATE (so two processes handling two
follows of one person cannot both greet), and an unfollow clears it, so following again
after unfollowing greets again. A follow that finds it already claimed (Get Started tapped in
a thread that was already greeted) gets just the menu.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.events import Event
from bot.core.messages import Image, OutboundMessage, Text
from bot.core.router import Router
from bot.handlers import members
from bot.handlers.context import Chat, ChatMiddleware
from bot.handlers.menu import menu_message, send_menu
from bot.models import Contact


async def claim_greeting(event: Event) -> bool:
    """True for the first follow since the person last unfollowed (or ever)."""
    contact = await members.get_contact(event)
    now = datetime.now(UTC)
    claimed = await Contact.filter(id=contact.id, greeted_at__isnull=True).update(
        greeted_at=now, followed_at=now, is_follower=True
    )
    if not claimed:
        await Contact.filter(id=contact.id).update(is_follower=True)
    return bool(claimed)


async def greeting_messages(chat: Chat) -> list[OutboundMessage]:
    """The channel's greeting text with the person's name, its banner, then the menu."""
    greetings = chat.content.greetings
    greeting = greetings.zalo_follow if chat.event.channel == "zalo" else None
    greeting = greeting or greetings.messenger_get_started
    messages: list[OutboundMessage] = [Text(text=await chat.render(greeting.text))]
    banner = await chat.services.media.asset_url(chat.content, greeting.image)
    if banner:
        messages.append(Image(url=banner))
    messages.append(await menu_message(chat))
    return messages


def make_router() -> Router:
    router = Router(name="welcome")
    router.middleware.register(ChatMiddleware())

    @router.follow()
    async def on_follow(chat: Chat, event: Event) -> None:
        # Composed before it is claimed: a handler that dies while composing (a profile
        # look-up that hangs) leaves the greeting unclaimed, and the retry sends it.
        greeting = await greeting_messages(chat)
        if await claim_greeting(event):
            await chat.send(*greeting)
        else:
            await send_menu(chat)

    @router.unfollow()
    async def on_unfollow(event: Event) -> None:
        contact = await members.get_contact(event)
        await Contact.filter(id=contact.id).update(is_follower=False, greeted_at=None)

    return router
