"""The last resort: a flow failed, so log it and tell the person to try again later.

Registered on the dispatcher, so it sees every router's exceptions (after the routers' own
`errors` handlers). The event counts as handled: a bug in one flow must not make the inbox
replay the event five times at the person. If even the apology cannot be queued (the database
is down), the exception propagates and the inbox retries the event later.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.content.schema import Content
from bot.core.events import Event
from bot.core.messages import Text
from bot.pipeline.reply import Reply

log = logging.getLogger("bot.handlers")


async def on_error(exception: Exception, event: Event, content: Content, reply: Any) -> bool:
    """The apology goes through `Reply.error` when the reply is the pipeline's (its own
    outbox key); tools that feed events with a plain callable get it as a reply."""
    log.error(
        "handler failed for %s %s from %s/%s",
        event.kind,
        event.event_id,
        event.channel,
        event.user_id,
        exc_info=exception,
    )
    apology = Text(text=content.render(content.texts.error_generic))
    if isinstance(reply, Reply):
        await reply.error(apology)
    else:
        await reply(apology)
    return True
