"""A broadcast worker as its own process, for the kill -9 test:
`python -m tests.bot.outreach.broadcast_worker BROADCAST_ID` with the settings in the
environment (DATABASE_URL, FB_*)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from bot.apiclient.http import SharedHttp
from bot.backends.factory import build_backends
from bot.channels.registry import build_channels
from bot.content.outreach import Outreach
from bot.content.store import ContentStore
from bot.db import close_db, init_db
from bot.outreach.broadcasts import BroadcastSender
from bot.settings import Settings


async def main(broadcast_id: int) -> None:
    settings = Settings()
    db = await init_db(settings.DATABASE_URL)
    store = ContentStore(settings.CONTENT_PATH, 3600)
    await store.start()
    content = store.current.model_copy(update={"outreach": Outreach(quiet_hours="")})
    backends = build_backends(settings)
    http = SharedHttp()
    channels = build_channels(settings, http=http, kv=backends.kv, locks=backends.locks)
    sender = BroadcastSender(
        channels=channels,
        content=lambda: content,
        clock=lambda: datetime.now(UTC),
        rates={"zalo": 1000.0, "messenger": 1000.0},
        concurrency=4,
        batch=5,
        lease_seconds=1.0,
        worker="doomed",
    )
    print("ready", flush=True)
    try:
        await sender.run(broadcast_id)
    finally:
        await http.close()
        await close_db(db)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
