"""Checks that span sections of the content file: ids that must be unique, actions that must
name an existing game or reply, keywords claimed twice, image files that must exist.

They read the raw YAML data and tolerate wrong types (pydantic reports those), so the admin
sees these problems together with every other one in a single `config check` run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.content.actions import Action, ActionSyntaxError
from bot.content.errors import Loc
from bot.content.keywords import normalize

Issue = tuple[Loc, str, str]  # (where, what is wrong, how to fix)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _items(value: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, Mapping):
                yield i, item


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _choices(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "(none yet)"


def action_places(data: Mapping[str, Any]) -> Iterator[tuple[Loc, Any]]:
    """Every `action:` in the file with its location."""
    for i, item in _items(data.get("menu")):
        yield ("menu", i, "action"), item.get("action")
    for i, item in _items(data.get("keywords")):
        if "action" in item:
            yield ("keywords", i, "action"), item.get("action")
    for key, reply in _mapping(data.get("replies")).items():
        for j, button in _items(_mapping(reply).get("buttons")):
            yield ("replies", key, "buttons", j, "action"), button.get("action")


def cross_problems(data: Any) -> list[Issue]:
    """Problems between sections; `data` is the raw (or dumped) content mapping."""
    data = _mapping(data)
    issues: list[Issue] = []
    game_ids: list[str] = []
    for j, game in _items(data.get("games")):
        gid = game.get("id")
        if not isinstance(gid, str):
            continue
        if gid in game_ids:
            first = game_ids.index(gid)
            issues.append(
                (
                    ("games", j, "id"),
                    f"game id {gid!r} is already used by games[{first}]",
                    "give every game its own id",
                )
            )
        game_ids.append(gid)
    game_ids = list(dict.fromkeys(game_ids))
    reply_keys = [k for k in _mapping(data.get("replies")) if isinstance(k, str)]
    for loc, raw in action_places(data):
        if not isinstance(raw, str):
            continue
        try:
            action = Action.parse(raw)
        except ActionSyntaxError:
            continue  # reported by the schema
        if action.kind == "game" and action.arg not in game_ids:
            issues.append(
                (
                    loc,
                    f"game {action.arg!r} does not exist",
                    f"use one of the game ids: {_choices(game_ids)}, "
                    f"or add a game with id: {action.arg} under games:",
                )
            )
        if action.kind == "text" and action.arg not in reply_keys:
            issues.append(
                (
                    loc,
                    f"reply {action.arg!r} does not exist",
                    f"use one of the reply keys: {_choices(reply_keys)}, "
                    f"or add {action.arg}: under replies:",
                )
            )
    issues.extend(_keyword_clashes(data))
    return issues


def _keyword_clashes(data: Mapping[str, Any]) -> Iterator[Issue]:
    seen: dict[str, int] = {}
    for i, keyword in _items(data.get("keywords")):
        phrases = keyword.get("match")
        if not isinstance(phrases, list):
            continue
        for k, phrase in enumerate(phrases):
            if not isinstance(phrase, str) or not normalize(phrase):
                continue
            norm = normalize(phrase)
            if norm in seen and seen[norm] != i:
                yield (
                    ("keywords", i, "match", k),
                    f"{phrase!r} is already a keyword in keywords[{seen[norm]}] "
                    "(case and accents are ignored)",
                    "keep it in only one keyword",
                )
            seen.setdefault(norm, i)


def image_places(data: Mapping[str, Any]) -> Iterator[tuple[Loc, Any]]:
    """Every image reference in the file with its location."""
    greetings = _mapping(data.get("greetings"))
    for name in ("zalo_follow", "messenger_get_started"):
        greeting = _mapping(greetings.get(name))
        if greeting.get("image") is not None:
            yield ("greetings", name, "image"), greeting["image"]
    shop = _mapping(data.get("shop"))
    if shop.get("logo") is not None:
        yield ("shop", "logo"), shop["logo"]
    for key, reply in _mapping(data.get("replies")).items():
        reply = _mapping(reply)
        if reply.get("image") is not None:
            yield ("replies", key, "image"), reply["image"]


def find_asset(ref: str, base_dirs: Sequence[Path]) -> Path | None:
    """The file an image reference names, looked up under each base folder in turn."""
    path = Path(ref)
    candidates = [path] if path.is_absolute() else [base / path for base in base_dirs]
    return next((c.resolve() for c in candidates if c.is_file()), None)


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd())) or "."
    except ValueError:
        return str(path)


def image_problems(data: Any, base_dirs: Sequence[Path]) -> list[Issue]:
    """Image references that are not an https:// URL or an existing .png/.jpg file."""
    issues: list[Issue] = []
    for loc, ref in image_places(_mapping(data)):
        if not isinstance(ref, str) or not ref.strip():
            continue  # reported by the schema
        if ref.startswith("http://"):
            issues.append((loc, f"{ref!r} is not https", "use an https:// link or a file path"))
            continue
        if ref.startswith("https://"):
            continue
        if not ref.lower().endswith(IMAGE_SUFFIXES):
            issues.append((loc, f"{ref!r} is not a .png or .jpg file", "use a PNG or JPEG image"))
            continue
        if find_asset(ref, base_dirs) is None:
            where = " or ".join(f"{_show(b)}/" for b in base_dirs) or "./"
            issues.append(
                (
                    loc,
                    f"image file {ref!r} not found",
                    f"put the file there or fix the path (relative to {where})",
                )
            )
    return issues
