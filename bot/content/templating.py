"""Render the `{name}`-style placeholders of content texts with jinja2.

Single-brace delimiters keep the file readable for admins (`Chào {name}!`), while jinja2
still gives filters (`{points|number}`) and conditionals. Templates are compiled once and
cached; undefined variables raise, and `check_template` catches them at load time instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta


def _number(value: Any) -> str:
    """`1234567` → `1.234.567` (Vietnamese thousands separator); other values unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        whole, frac = f"{value:,.2f}".split(".")
        return f"{whole.replace(',', '.')},{frac.rstrip('0')}"
    return f"{int(value):,}".replace(",", ".")


ENV = jinja2.Environment(
    variable_start_string="{",
    variable_end_string="}",
    autoescape=False,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
ENV.filters["number"] = _number


@lru_cache(maxsize=2048)
def compile_text(template: str) -> jinja2.Template:
    """The compiled template, cached by its source (content reloads reuse unchanged texts)."""
    return ENV.from_string(template)


def render_text(template: str, **variables: Any) -> str:
    """Fill a content text's placeholders; a missing variable raises `jinja2.UndefinedError`."""
    if "{" not in template:
        return template
    return compile_text(template).render(**variables)


def check_template(template: str, allowed: Iterable[str]) -> tuple[str, str] | None:
    """`(message, fix)` when the text cannot render with `allowed` variables, else None."""
    allowed = sorted(set(allowed))
    known = ", ".join(f"{{{name}}}" for name in allowed) or "none"
    try:
        used = meta.find_undeclared_variables(ENV.parse(template))
        compile_text(template)
    except jinja2.TemplateAssertionError as exc:  # e.g. an unknown filter
        return (f"{exc.message}", "use a known filter such as {points|number}")
    except jinja2.TemplateSyntaxError as exc:
        return (
            f"placeholder syntax is broken ({exc.message})",
            "write placeholders as {name} with one brace on each side",
        )
    unknown = sorted(used - set(allowed))
    if unknown:
        names = ", ".join(f"{{{name}}}" for name in unknown)
        return (
            f"unknown placeholder {names}",
            f"use only the placeholders this text gets: {known}",
        )
    return None
