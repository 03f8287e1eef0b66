"""The small action language used by menu items, keywords and reply buttons.

An action is one string, so it doubles as the button payload that comes back to us:

- `menu`, `card`, `phone`, `vouchers`: built-in flows (main menu, member card, share the
  phone number, my vouchers)
- `game:<id>`: open a game from `games:`
- `text:<key>`: send the reply `replies.<key>`
- `url:<https://…>`: open a web page (a link button, no payload comes back)
- `call:<phone>`: call a phone number (a call button)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import PlainSerializer, PlainValidator

from bot.content.errors import invalid

ActionKind = Literal["menu", "card", "phone", "vouchers", "game", "text", "url", "call"]
SIMPLE: tuple[ActionKind, ...] = ("menu", "card", "phone", "vouchers")
WITH_ARG: tuple[ActionKind, ...] = ("game", "text", "url", "call")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PHONE_RE = re.compile(r"^\+?[0-9]{3,15}$")
EXAMPLES = (
    "menu, card, phone, vouchers, game:<game id>, text:<reply key>, url:https://…, call:<phone>"
)


class ActionSyntaxError(ValueError):
    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True, slots=True)
class Action:
    """A parsed action; `str(action)` gives back the canonical string (the payload)."""

    kind: ActionKind
    arg: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind

    @property
    def is_link(self) -> bool:
        """Link and call actions become URL/phone buttons; the rest are payload buttons."""
        return self.kind in ("url", "call")

    @classmethod
    def parse(cls, raw: str) -> Action:
        """Parse `raw`, raising `ActionSyntaxError` with an admin-facing fix."""
        text = raw.strip()
        kind, sep, arg = text.partition(":")
        kind = kind.strip().lower()
        arg = arg.strip()
        if kind in SIMPLE:
            if sep and arg:
                raise ActionSyntaxError(
                    f"action {kind!r} takes nothing after ':'", f"write {kind}"
                )
            return cls(kind)
        if kind not in WITH_ARG:
            raise ActionSyntaxError(f"{raw!r} is not an action", f"write one of: {EXAMPLES}")
        if not arg:
            raise ActionSyntaxError(
                f"action {kind!r} needs a value after ':'", f"write e.g. {_example(kind)}"
            )
        if kind in ("game", "text") and not SLUG_RE.match(arg):
            raise ActionSyntaxError(
                f"{arg!r} is not a valid {'game id' if kind == 'game' else 'reply key'}",
                "use lowercase letters, digits, '-' and '_', e.g. " + _example(kind),
            )
        if kind == "url":
            parts = urlsplit(arg)
            if parts.scheme != "https" or not parts.netloc:
                raise ActionSyntaxError(
                    f"{arg!r} is not an https:// link", "write e.g. url:https://example.com/menu"
                )
        if kind == "call":
            arg = arg.replace(" ", "").replace(".", "")
            if not PHONE_RE.match(arg):
                raise ActionSyntaxError(
                    f"{arg!r} is not a phone number", "write e.g. call:+84901234567"
                )
        return cls(kind, arg)


def _example(kind: str) -> str:
    return {
        "game": "game:lucky-wheel",
        "text": "text:opening-hours",
        "url": "url:https://example.com",
        "call": "call:+84901234567",
    }[kind]


def _validate(value: Any) -> Action:
    if isinstance(value, Action):
        return value
    if not isinstance(value, str):
        raise invalid(f"{value!r} is not an action", f"write one of: {EXAMPLES}")
    try:
        return Action.parse(value)
    except ActionSyntaxError as exc:
        raise invalid(exc.message, exc.fix) from None


ActionField = Annotated[Action, PlainValidator(_validate), PlainSerializer(str, return_type=str)]
