"""`python -m bot messenger sync-profile`: the Page's Get Started, greeting and menu.

Builds the wanted Messenger Profile from the content file, reads the Page's current one,
prints what differs, and sets only that (the Profile API allows ~10 calls per 10 minutes, so
one GET and at most one POST). Needs the Page token, not the database.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from bot.channels.messenger import limits as L
from bot.channels.messenger.client import GraphClient
from bot.channels.messenger.exceptions import MessengerError
from bot.channels.messenger.methods import GetMessengerProfile, SetMessengerProfile
from bot.channels.messenger.parser import GET_STARTED
from bot.content.errors import ContentError
from bot.content.loader import load_content
from bot.content.schema import Content
from bot.settings import Settings

FIELDS = ("get_started", "greeting", "persistent_menu")


def wanted_profile(content: Content) -> tuple[dict[str, Any], list[str]]:
    """The profile the content asks for, plus notes about menu items Messenger cannot show."""
    notes: list[str] = []
    items: list[dict[str, Any]] = []
    for item in content.menu:
        title = L.truncate(item.title, L.MENU_TITLE_MAX)
        action = item.action
        if action.kind == "url":
            items.append({"type": "web_url", "title": title, "url": action.arg})
        elif action.kind == "call":
            notes.append(
                f"menu item {item.title!r} skipped: the persistent menu has no call items"
            )
        else:
            items.append({"type": "postback", "title": title, "payload": str(action)})
    profile = {
        "get_started": {"payload": GET_STARTED},
        "greeting": [{"locale": "default", "text": L.nfc(content.greetings.messenger_greeting)}],
        "persistent_menu": [
            {"locale": "default", "composer_input_disabled": False, "call_to_actions": items}
        ],
    }
    return profile, notes


def greeting_problem(profile: dict[str, Any]) -> str | None:
    for entry in profile["greeting"]:
        if len(entry["text"]) > L.GREETING_MAX:
            return (
                f"greetings.messenger_greeting is {len(entry['text'])} characters; "
                f"Messenger allows at most {L.GREETING_MAX}"
            )
    return None


def same(current: Any, wanted: Any) -> bool:
    """Equal on everything we set; extra keys Graph adds on its side do not count."""
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(
            same(current.get(k), v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(current, list)
            and len(current) == len(wanted)
            and all(same(c, w) for c, w in zip(current, wanted, strict=True))
        )
    return bool(current == wanted)


def summary(field: str, value: Any) -> str:
    if value is None:
        return "(not set)"
    if field == "persistent_menu" and isinstance(value, list) and value:
        actions = value[0].get("call_to_actions") or []
        return " | ".join(str(a.get("title")) for a in actions) or "(empty)"
    if field == "greeting" and isinstance(value, list):
        return "; ".join(f"{g.get('locale')}: {g.get('text')!r}" for g in value)
    return json.dumps(value, ensure_ascii=False)


async def run_sync_profile(
    settings: Settings, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Exit code: 0 synced (or nothing to do), 1 refused by content or Graph, 2 no token."""
    out, err = out or sys.stdout, err or sys.stderr
    if not settings.FB_PAGE_ACCESS_TOKEN:
        print("error: setting FB_PAGE_ACCESS_TOKEN is empty: nothing to sync", file=err)
        return 2
    try:
        content = load_content(settings.CONTENT_PATH)
    except ContentError as exc:
        print(f"error: the content file cannot be used:\n{exc}", file=err)
        return 1
    wanted, notes = wanted_profile(content)
    problem = greeting_problem(wanted)
    if problem:
        print(f"error: {problem}", file=err)
        return 1
    for note in notes:
        print(f"note: {note}", file=out)
    client = GraphClient.from_settings(settings)
    try:
        current = await client(GetMessengerProfile(fields=FIELDS))
        changed = {f: v for f, v in wanted.items() if not same(current.get(f), v)}
        for field in FIELDS:
            if field in changed:
                old, new = summary(field, current.get(field)), summary(field, wanted[field])
                print(f"changed {field}: {old} → {new}", file=out)
            else:
                print(f"unchanged {field}", file=out)
        if changed:
            await client(SetMessengerProfile(**changed))
            print(f"Messenger profile updated ({len(changed)} field(s))", file=out)
        else:
            print("Messenger profile already up to date", file=out)
        return 0
    except MessengerError as exc:
        print(f"error: Graph refused the Messenger profile: {exc}", file=err)
        return 1
    finally:
        await client.close()
