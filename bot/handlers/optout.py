"""The opt-out and opt-in chat words (contract "Chat words"): `stop`, `dừng`, `hủy nhận tin`
stop promotional messages, `nhận tin` starts them again.

Matched on the whole message, accent- and case-insensitively ("DUNG", "Hủy nhận tin!"), ahead
of every other flow so a waiting phone prompt cannot swallow them. Each is a consent record
(`loyalty.consent`: what, when, channel, the confirmation shown) and a confirmation from the
content file (`outreach.opt_out_reply` / `opt_in_reply`). Replies and `update` notices are
not affected: only promotions read `Member.marketing_opt_in`.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.events import Event, MessageEvent
from bot.core.filters import Filter
from bot.core.messages import Text
from bot.core.router import Router
from bot.core.text import fold
from bot.handlers import members
from bot.handlers.context import Chat, ChatMiddleware
from loyalty import consent

OPT_OUT_WORDS = frozenset({"stop", "dung", "huy nhan tin"})
OPT_IN_WORDS = frozenset({"nhan tin"})
_PUNCT = re.compile(r"[^\w\s]")


def word_of(text: str) -> str | None:
    """ "opt_out", "opt_in" or None for a typed message."""
    folded = " ".join(_PUNCT.sub(" ", fold(text)).split())
    if folded in OPT_OUT_WORDS:
        return "opt_out"
    if folded in OPT_IN_WORDS:
        return "opt_in"
    return None


class ConsentWord(Filter):
    provides = ("consent_word",)

    def __call__(self, event: Event) -> dict[str, Any] | bool:
        if not isinstance(event, MessageEvent) or not event.text:
            return False
        word = word_of(event.text)
        return {"consent_word": word} if word else False


def make_router() -> Router:
    router = Router(name="optout")
    router.middleware.register(ChatMiddleware())

    @router.message(ConsentWord())
    async def on_consent_word(chat: Chat, consent_word: str) -> None:
        member = await members.member_for(chat.event, chat.channel)
        outreach = chat.content.outreach
        if consent_word == "opt_out":
            text = chat.content.render(outreach.opt_out_reply)
            await consent.withdraw(
                member, "marketing", channel=chat.event.channel, method="chat_word", text=text
            )
        else:
            text = chat.content.render(outreach.opt_in_reply)
            await consent.record_consent(
                member, "marketing", channel=chat.event.channel, method="chat_word", text=text
            )
        await chat.state.clear()
        await chat.send(Text(text=text))

    return router
