"""`GET /sandbox/api/stream`: the bot's replies to one test user, live, as server-sent events.

The source is `outbox_message`, where a channel without credentials keeps each rendered
platform request instead of sending it. Polling the table (every ~200 ms) rather than
listening in-process means the page also sees replies made by a separate `bot worker`.

Rows go out in id order, and never past one still pending (its sender will finish it, and
the page must see messages in the order the user would). Each event's SSE id is the row id,
so a reconnecting EventSource resumes after the last row it drew (`Last-Event-ID`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import web

from bot.models import OutboxMessage

log = logging.getLogger("bot.sandbox.stream")

POLL_SECONDS = 0.2
KEEPALIVE_SECONDS = 15.0
BATCH = 50
HISTORY_MAX = 100
STOPPING: web.AppKey[asyncio.Event] = web.AppKey("sandbox_stopping", asyncio.Event)


def row_json(row: OutboxMessage) -> dict[str, Any]:
    """What the page draws: the stored platform request and how its delivery went."""
    return {
        "id": row.id,
        "channel": row.channel,
        "user_id": row.user_id,
        "method": row.method,
        "payload": row.payload,
        "status": row.status,
        "error": row.last_error,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


def sse(event: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines += [f"event: {event}", "data: " + json.dumps(data, ensure_ascii=False), "", ""]
    return "\n".join(lines).encode()


async def start_after(channel: str, account_id: str, user_id: str, history: int) -> int:
    """The row id to stream after: the last `history` rows are replayed first."""
    rows = (
        OutboxMessage.filter(channel=channel, account_id=account_id, user_id=user_id)
        .order_by("-id")
        .limit(history + 1)
    )
    ids: list[int] = await rows.values_list("id", flat=True)  # type: ignore[assignment]
    if len(ids) <= history:
        return 0
    return int(ids[-1])


async def due_rows(channel: str, account_id: str, user_id: str, after: int) -> list[OutboxMessage]:
    """Rows after `after`, in order, up to (not including) the first still pending."""
    rows = (
        await OutboxMessage.filter(
            channel=channel, account_id=account_id, user_id=user_id, id__gt=after
        )
        .order_by("id")
        .limit(BATCH)
    )
    done: list[OutboxMessage] = []
    for row in rows:
        if row.status == "pending":
            break
        done.append(row)
    return done


async def stream(
    request: web.Request, channel: str, account_id: str, user_id: str, *, history: int
) -> web.StreamResponse:
    last_event = request.headers.get("Last-Event-ID", "").strip()
    live_from: int | None = None
    if last_event.isdigit():
        after = int(last_event)
    else:
        after = await start_after(channel, account_id, user_id, min(history, HISTORY_MAX))
        newest = await due_rows(channel, account_id, user_id, after)
        live_from = newest[-1].id if newest else after
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await resp.prepare(request)
    stopping = request.app[STOPPING]
    loop = asyncio.get_running_loop()
    await resp.write(sse("ready", {"channel": channel, "user_id": user_id, "after": after}))
    quiet_since = loop.time()
    try:
        while not stopping.is_set():
            for row in await due_rows(channel, account_id, user_id, after):
                replay = live_from is not None and row.id <= live_from
                data = {**row_json(row), "replay": replay}
                await resp.write(sse("message", data, row.id))
                after = row.id
                quiet_since = loop.time()
            if loop.time() - quiet_since > KEEPALIVE_SECONDS:
                await resp.write(b": keepalive\n\n")
                quiet_since = loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), POLL_SECONDS)
    except (ConnectionResetError, ConnectionError):
        log.debug("sandbox stream for %s/%s closed by the page", channel, user_id)
    return resp
