"""Turn pydantic errors into what an admin can act on: a plain message and a fix.

Errors raised by the shared schemas of `games/` and `loyalty/` are narrowed to the exact key
by `bot.content.refine`.
"""

from __future__ import annotations

import difflib
import json
import re
import types
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from bot.content.errors import ERROR_TYPE, Loc
from bot.content.refine import REFINERS
from games.config import HEX_COLOR, SLUG

Hint = tuple[Loc, str, str]  # (where, what is wrong, how to fix)


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is not None and getattr(tp, "__metadata__", None) is not None:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(tp) if a is not type(None)]
            if len(rest) != 1:
                return tp
            tp = rest[0]
        else:
            return tp


def annotation_at(root: type[BaseModel], loc: Loc) -> Any:
    """The type a location in the file must have (None when the path is unknown)."""
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            field = tp.model_fields.get(part)
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict and isinstance(part, str):
            tp = get_args(tp)[1]
        else:
            return None
    return _unwrap(tp)


def raw_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "an empty value"
    return str(value)


def _missing(root: type[BaseModel], loc: Loc) -> tuple[str, str]:
    name = str(loc[-1])
    parent = annotation_at(root, loc[:-1])
    fix = f"add {name}:"
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        field = parent.model_fields.get(name)
        tp = annotation_at(root, loc)
        if get_origin(tp) is Literal:
            fix += " with one of " + ", ".join(str(a) for a in get_args(tp))
        elif field is not None and field.description:
            fix += f" ({field.description})"
    return f"{name} is missing", fix


def _extra(root: type[BaseModel], loc: Loc) -> tuple[str, str]:
    name = str(loc[-1])
    parent = annotation_at(root, loc[:-1])
    is_model = isinstance(parent, type) and issubclass(parent, BaseModel)
    known = list(parent.model_fields) if is_model else []
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key {name!r}", f"did you mean {close[0]!r}?"
    listed = ", ".join(known) if 0 < len(known) <= 16 else "see the demo content file"
    return f"unknown key {name!r}", f"remove it or use a known key ({listed})"


def _pattern(value: Any, pattern: str) -> tuple[str, str]:
    if pattern == SLUG:
        return (
            f"{_show(value)} is not a valid id",
            "use lowercase letters, digits, - and _ (no spaces or accents), e.g. lucky-wheel",
        )
    if pattern == HEX_COLOR:
        return f"{_show(value)} is not a colour", "write a colour like #E0A458"
    if "\\d{2}-\\d{2}" in pattern:
        return f"{_show(value)} is not a MM-DD date", 'write it like "01-01" (in quotes)'
    return f"{_show(value)} has the wrong format", f"it must match {pattern}"


def explain(root: type[BaseModel], err: Mapping[str, Any], data: Any) -> Hint:
    """(location, message, fix) for one pydantic error dict."""
    kind = err["type"]
    loc: Loc = tuple(p for p in err["loc"] if p != "[key]")
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == ERROR_TYPE:
        return (*loc, *ctx.get("at", ())), ctx["message"], ctx["fix"]
    if kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error", err["msg"]))
        for pattern, refine in REFINERS:
            match = re.search(pattern, message)
            if match:
                found = refine(loc, raw_at(data, loc), match)
                if found:
                    return found
        return loc, message, "correct this value"
    if kind == "missing":
        return (loc, *_missing(root, loc))
    if kind == "extra_forbidden":
        return (loc, *_extra(root, loc))
    if err["loc"] and err["loc"][-1] == "[key]":
        return (loc, *_pattern(value, ctx.get("pattern", "")))
    message, fix = _simple(kind, value, ctx, err["msg"])
    return loc, message, fix


def _simple(kind: str, value: Any, ctx: Mapping[str, Any], msg: str) -> tuple[str, str]:
    shown = _show(value)
    table: dict[str, tuple[str, str]] = {
        "float_parsing": (f"{shown} is not a number", "write a number such as 10"),
        "float_type": (f"{shown} is not a number", "write a number such as 10"),
        "int_parsing": (
            f"{shown} is not a whole number",
            "write digits only, e.g. 50000 (no dots, commas or units)",
        ),
        "int_type": (f"{shown} is not a whole number", "write digits only, e.g. 50000"),
        "int_from_float": (f"{shown} is not a whole number", "remove the decimals"),
        "bool_parsing": (f"{shown} is not true or false", "write true or false"),
        "bool_type": (f"{shown} is not true or false", "write true or false"),
        "string_type": (f"{shown} is not text", "put the text in quotes"),
        "string_too_short": ("is empty", "write some text"),
        "literal_error": (f"{shown} is not allowed", f"write one of {ctx.get('expected')}"),
        "list_type": ("should be a list", "write each item on its own line starting with - "),
        "dict_type": ("should be a group of keys", "indent its key: value lines under it"),
        "model_type": ("should be a group of keys", "indent its key: value lines under it"),
        "datetime_parsing": (
            f"{shown} is not a date and time",
            "write it like 2025-06-01 08:00:00+07:00",
        ),
        "datetime_type": (
            f"{shown} is not a date and time",
            "write it like 2025-06-01 08:00:00+07:00",
        ),
    }
    if kind in table:
        if value is None and kind in ("dict_type", "model_type", "list_type", "string_type"):
            return "is empty", "fill it in or remove the key"
        return table[kind]
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return (
            f"is {len(value)} characters long, the limit is {limit}",
            f"shorten it to at most {limit} characters",
        )
    if kind == "string_pattern_mismatch":
        return _pattern(value, str(ctx.get("pattern", "")))
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"needs at least {n} item{'s' if n != 1 else ''}", "add items as - lines"
    if kind == "too_long":
        return (
            f"has {ctx.get('actual_length')} items, the limit is {ctx.get('max_length')}",
            "remove some",
        )
    bounds = {
        "greater_than": ("must be more than", "gt"),
        "greater_than_equal": ("must be at least", "ge"),
        "less_than": ("must be less than", "lt"),
        "less_than_equal": ("must be at most", "le"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"{shown} is out of range", f"it {words} {ctx.get(key)}"
    return msg, "see the demo file config/content.yaml for the expected shape"
