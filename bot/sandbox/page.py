"""The `/sandbox` page: one jinja2 template plus what it needs to know about this server.

Every word on the page is in the template (Vietnamese). Python only passes facts: which
channels run in sandbox mode, the platforms' display limits (the same constants the
renderers use, so the page flags exactly what the platform would refuse or cut), the shop's
name and logo, Messenger's welcome-screen greeting and persistent menu, and the Zalo OA menu.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from bot.channels.messenger import limits as fb
from bot.channels.messenger.profile_sync import wanted_profile
from bot.channels.zalo.inbound import encode_payload
from bot.channels.zalo.types import outbound as zalo
from bot.content.schema import Content
from bot.contracts.channel import Channel
from bot.web.media import Media

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(("html",)),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

LIMITS: dict[str, dict[str, int]] = {
    "zalo": {
        "text": zalo.TEXT_MAX,
        "buttons": zalo.MAX_BUTTONS,
        "elements": zalo.MAX_ELEMENTS,
        "title": zalo.TITLE_MAX,
        "subtitle": zalo.SUBTITLE_MAX,
    },
    "messenger": {
        "text": fb.TEXT_MAX,
        "buttons": fb.BUTTONS_MAX,
        "button_text": fb.BUTTON_TEXT_MAX,
        "button_title": fb.BUTTON_TITLE_MAX,
        "quick_replies": fb.QUICK_REPLIES_MAX,
        "quick_reply_title": fb.QUICK_REPLY_TITLE_MAX,
        "cards": fb.CARDS_MAX,
        "card_title": fb.CARD_TITLE_MAX,
        "card_subtitle": fb.CARD_SUBTITLE_MAX,
    },
}


def zalo_oa_menu(content: Content) -> list[dict[str, str]]:
    """The content menu as an OA menu bar: each item sends `#<action>` like a hidden query."""
    items = []
    for item in content.menu:
        action = item.action
        if action.kind == "url":
            items.append({"title": item.title, "url": action.arg})
        elif action.kind == "call":
            items.append({"title": item.title, "phone": action.arg})
        else:
            items.append({"title": item.title, "payload": encode_payload(str(action))})
    return items


def messenger_profile(content: Content) -> dict[str, Any]:
    """Greeting and persistent menu exactly as `bot messenger sync-profile` would push them."""
    profile, _ = wanted_profile(content)
    greeting = profile["greeting"][0]["text"] if profile["greeting"] else ""
    menu = profile["persistent_menu"][0]["call_to_actions"] if profile["persistent_menu"] else []
    return {"greeting": greeting, "menu": menu}


async def page_config(
    content: Content, channels: Mapping[str, Channel], media: Media
) -> dict[str, Any]:
    running = {
        name: {"sandbox": channel.sandbox, "account_id": channel.account_id}
        for name, channel in channels.items()
    }
    return {
        "channels": running,
        "shop": {
            "name": content.shop.name,
            "logo": await media.asset_url(content, content.shop.logo),
            "color": content.shop.colors.primary,
        },
        "limits": LIMITS,
        "zalo": {"menu": zalo_oa_menu(content)},
        "messenger": messenger_profile(content),
        "miniapp": has_miniapp(),
        "api": {
            "events": "/sandbox/api/events",
            "stream": "/sandbox/api/stream",
            "session": "/sandbox/api/miniapp-session",
            "v1": "/api/v1",
        },
    }


def has_miniapp() -> bool:
    try:
        import miniapp_api.auth  # noqa: F401
    except ImportError:
        return False
    return True


async def render_page(content: Content, channels: Mapping[str, Channel], media: Media) -> str:
    template = _env.get_template("sandbox.html")
    return template.render(config=await page_config(content, channels, media))
