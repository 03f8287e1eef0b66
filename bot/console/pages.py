"""The console's jinja2 environment: autoescaped templates, no inline script anywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(("html",)),
    undefined=jinja2.StrictUndefined,
)


def _vnd(value: int) -> str:
    return f"{value:,}".replace(",", ".") + " ₫"


def _num(value: int) -> str:
    return f"{value:,}".replace(",", ".")


VN = timezone(timedelta(hours=7))


def _when(value: datetime | None) -> str:
    """A moment in Vietnam time (UTC+7), as the shop reads it; naive values are UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(VN).strftime("%d/%m/%Y %H:%M")


def _fromiso(value: str) -> datetime:
    return datetime.fromisoformat(value)


_env.filters["when"] = _when
_env.filters["fromiso"] = _fromiso
_env.filters["vnd"] = _vnd
_env.filters["num"] = _num


def render(name: str, *, status: int = 200, **context: Any) -> web.Response:
    context.setdefault("signed", None)
    context.setdefault("csrf", "")
    html = _env.get_template(name).render(**context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
