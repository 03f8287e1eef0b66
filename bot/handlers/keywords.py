"""Keywords: what people type, matched against the content file's `keywords:`.

Matching ignores case, spacing, punctuation and Vietnamese accents ("bat dau" = "Bắt đầu!"),
and prefers a whole-message match, then the longest phrase found as whole words
(`Content.match_keyword`). A keyword either runs an action or sends its own reply.
"""

from __future__ import annotations

from typing import Any

from bot.content.schema import Content, Keyword
from bot.core.events import Event, MessageEvent
from bot.core.filters import Filter
from bot.core.messages import Text
from bot.core.router import Router
from bot.handlers.actions import run_action
from bot.handlers.context import Chat, ChatMiddleware


class MatchesKeyword(Filter):
    """Passes with `keyword` when the typed text matches one in the current content."""

    provides = ("keyword",)

    def __call__(self, event: Event, content: Content) -> dict[str, Any] | bool:
        if not isinstance(event, MessageEvent) or not event.text.strip():
            return False
        keyword = content.match_keyword(event.text)
        return {"keyword": keyword} if keyword is not None else False


async def run_keyword(chat: Chat, keyword: Keyword) -> None:
    if keyword.action is not None:
        await run_action(chat, keyword.action)
    elif keyword.reply is not None:
        await chat.send(Text(text=await chat.render(keyword.reply)))


def make_router() -> Router:
    router = Router(name="keywords")
    router.middleware.register(ChatMiddleware())

    @router.message(MatchesKeyword())
    async def on_keyword(chat: Chat, keyword: Keyword) -> None:
        await run_keyword(chat, keyword)

    return router
