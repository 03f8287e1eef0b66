"""The admin-edited content file: schema, loader, `config check`, and the hot-reloading store."""

from bot.content.actions import Action
from bot.content.errors import ContentError, Problem
from bot.content.loader import load_content, parse_content
from bot.content.schema import Content
from bot.content.store import ContentStore
from bot.content.templating import render_text
from bot.content.texts import Texts

__all__ = [
    "Action",
    "Content",
    "ContentError",
    "ContentStore",
    "Problem",
    "Texts",
    "load_content",
    "parse_content",
    "render_text",
]
