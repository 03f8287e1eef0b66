"""Everything a process needs to handle events, built once and shared.

`serve` wraps it in the aiohttp app's cleanup context; `worker` runs it alone. With
`REDIS_URL` empty, `serve` also consumes the in-process queue (one process does it all).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from tortoise import connections

from bot.backends.factory import Backends, build_backends
from bot.backends.memory.queue import InProcessQueue
from bot.channels.base import Channel
from bot.channels.registry import channel_classes
from bot.content.schema import Content
from bot.content.store import ContentStore
from bot.core.dispatcher import Dispatcher
from bot.core.events import Event
from bot.core.router import Router
from bot.db import close_db, init_db
from bot.jobs import register_jobs
from bot.pipeline.feeder import InboxFeeder, notify_channel
from bot.pipeline.group_commit import GroupCommit
from bot.pipeline.inbox import InboxStore, NewRows, enqueue_new
from bot.pipeline.local_feeder import LocalFeeder
from bot.pipeline.priority import HandlerTurns, PressureGate, PressureMark
from bot.pipeline.reply import Reply
from bot.pipeline.sqlite_writer import SqliteWriter
from bot.settings import Settings
from games.render.warm import warm_games
from loyalty.stock import sync_prize_stock

log = logging.getLogger("bot.runtime")

GC_YOUNG_THRESHOLD = 10_000  # Python's default is 700 (see `Runtime.freeze_heap`)


class Runtime:
    """Settings, storage backends, content, dispatcher and channels of one process."""

    def __init__(self, settings: Settings, routers: Sequence[Router] = ()) -> None:
        self.settings = settings
        self.extra_routers = tuple(routers)  # tests and tools add routers ahead of the product
        self.backends: Backends
        self.content: ContentStore
        self.http: aiohttp.ClientSession
        self.dispatcher: Dispatcher
        self.channels: dict[str, Channel] = {}
        self.consuming = False
        self.extras: dict[str, Any] = {}
        self._db: list[Any] = []
        # Webhooks store through this: concurrent requests share one INSERT and one enqueue.
        self.inbox_store = InboxStore()
        self.inbox_writer = GroupCommit(self.inbox_store.store, self._queue_new)
        self.feeder: InboxFeeder | None = None
        self.local_feeder: LocalFeeder | None = None  # in-process queue: bursts drain
        # Handlers take turns with the acks during a burst (`consume` sets it where it applies).
        self.handler_turns: HandlerTurns | None = None
        self._closing = False
        self._warming: asyncio.Task[int] | None = None  # campaign images drawn ahead

    async def start(self, *, consume: bool, webhooks: bool = False) -> None:
        """`consume`: run the queue's jobs here; `webhooks`: this process takes webhooks
        (`serve`), so with SQLite it starts the inbox writer process."""
        s = self.settings
        s.DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.content = ContentStore(s.CONTENT_PATH, s.CONTENT_RELOAD_SECONDS)
        await self.content.start()  # a broken content file stops the start here
        self._db = await init_db(s.DATABASE_URL, pool_size=s.DATABASE_POOL_SIZE)
        # SQLite has one writer: parallel batches would only queue for it and come out smaller.
        sqlite = s.DATABASE_URL.startswith("sqlite")
        self.inbox_writer.max_inflight = 1 if sqlite else s.INGEST_BATCHES_IN_FLIGHT
        self.inbox_writer.min_rows = s.INGEST_BATCH_MIN_ROWS
        if sqlite and webhooks and s.INGEST_SQLITE_WRITER:
            await self._start_sqlite_writer()
        if s.REDIS_URL and not sqlite:
            # PostgreSQL + Redis: the INSERT notifies the workers, who queue the jobs.
            self.inbox_store.notify_channel = notify_channel(s.REDIS_PREFIX)
        self.backends = build_backends(s)
        # Prize stock follows the content file: on start and after every good reload.
        shards = s.PRIZE_STOCK_SHARDS
        await sync_prize_stock(self.content.current.games, shards=shards)
        self.content.subscribe(lambda content: sync_prize_stock(content.games, shards=shards))
        self.http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=20, connect=5),
            headers={"User-Agent": "zalo-loyalty-bot/0.1"},
        )
        from bot.handlers import build_dispatcher

        self.dispatcher = build_dispatcher(self)
        for name, cls in channel_classes().items():
            channel = cls(self)
            await channel.start()
            self.channels[name] = channel
        register_jobs(self.backends.queue)
        await self.dispatcher.emit_startup(runtime=self)
        if consume:
            await self.consume()
        elif s.REDIS_URL and s.INGEST_PRIORITY_MAX_WAIT > 0:
            # `serve` with a separate worker: tell it when webhooks queue up.
            self.inbox_writer.on_pressure = PressureMark(self.backends.kv)
        log.info(
            "runtime ready: channels=%s sandbox=%s queue=%s loop=%s",
            ",".join(self.channels) or "-",
            ",".join(n for n, c in self.channels.items() if c.sandbox) or "-",
            "redis" if s.REDIS_URL else "in-process",
            type(asyncio.get_running_loop()).__module__.split(".")[0],
        )

    async def consume(self) -> None:
        """Run the queue's jobs in this process (and, with PostgreSQL + Redis, listen for new
        inbox rows to queue them: `bot.pipeline.feeder`)."""
        queue = self.backends.queue
        max_wait = self.settings.INGEST_PRIORITY_MAX_WAIT
        share = self.settings.INGEST_HANDLER_SHARE
        if max_wait <= 0:
            pass  # turned off: handlers run whenever the queue gives them a job
        elif isinstance(queue, InProcessQueue):  # one process: acks before handlers
            self.handler_turns = HandlerTurns(
                self._ingest_busy, max_wait=max_wait, share=share, poll=0.02
            )
            # ... and during a burst the rows wait in the inbox, not as jobs in memory.
            self.local_feeder = LocalFeeder(self)
        else:  # a worker: acks in `serve` (told through Redis) before handlers here
            self.handler_turns = PressureGate(self.backends.kv, max_wait, share)
        await queue.start({"runtime": self})
        self.consuming = True
        if self.settings.WARM_RENDERS:
            # The handlers run here, so their shared images are drawn here, ahead of players.
            self.warm_renders(self.content.current)
            self.content.subscribe(self.warm_renders)
        channel = self.inbox_store.notify_channel
        if channel is not None:
            self.feeder = InboxFeeder(self, channel)
            await self.feeder.start()

    async def _start_sqlite_writer(self) -> None:
        """The process that writes webhook batches to the SQLite file (none for an
        in-memory database: another process cannot open it). If it does not start, batches
        are written in-process and the writer tries again later."""
        path = getattr(connections.get("default"), "filename", "")
        if not path or path == ":memory:" or path.startswith("file::memory:"):
            return
        writer = SqliteWriter(path)
        await writer.start()
        self.inbox_store.sqlite_writer = writer

    def warm_renders(self, content: Content) -> None:
        """Draw the campaigns' shared images in the background (again after each reload:
        an edited campaign is a new version with new images)."""
        from bot.handlers.media import render_cache

        if self._warming is not None:
            self._warming.cancel()
        turns = self.handler_turns
        self._warming = asyncio.create_task(
            warm_games(
                render_cache(self),
                content.games,
                scratch_hint=content.texts.game_scratch_button,
                turn=turns.turn if turns is not None else None,
            ),
            name="warm-renders",
        )

    @property
    def warming(self) -> asyncio.Task[int] | None:
        """The running (or finished) draw-ahead of the campaign images; None when off."""
        return self._warming

    async def _ingest_busy(self) -> bool:
        """This process's webhooks are under pressure (and it is not shutting down)."""
        return not self._closing and self.inbox_writer.busy()

    async def _queue_new(self, new: NewRows) -> None:
        """After a commit: queue the jobs, unless the INSERT notified the feeders."""
        if self.inbox_store.notify_channel is not None:
            return
        if self.local_feeder is not None:
            await self.local_feeder.committed(new)
        else:
            await enqueue_new(self, new)

    @staticmethod
    def freeze_heap() -> None:
        """Keep what start-up built out of the garbage collector's full passes.

        Settings, content, templates, fonts, models, routes: all of it lives as long as the
        process, and every full collection walked it again, pausing requests for tens of ms
        (the p99 of the ingest benchmark). Called by `serve` and `worker` once started; not in
        tests, where many runtimes come and go in one process.

        The youngest generation is also collected less often: at Python's default (every 700
        net allocations of containers) a webhook burst ran a collection every few requests,
        5 % of `serve`'s CPU under load; most of what a request allocates is freed by
        reference counting before a later pass would look at it.
        """
        gc.collect()
        gc.freeze()
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)

    async def dispatch(self, event: Event, *, inbox_id: int | None = None) -> Any:
        """Feed one neutral event through the routers with the per-event services."""
        return await self.dispatcher.feed_event(
            event,
            runtime=self,
            reply=Reply(self, event, inbox_id),
            content=self.content.current,
            channel=self.channels[event.channel],
            inbox_id=inbox_id,
        )

    async def close(self) -> None:
        """Graceful: finish queued events first, then close clients and connections."""
        self._closing = True  # queued handlers no longer wait for their turn
        if self._warming is not None:
            self._warming.cancel()
            await asyncio.gather(self._warming, return_exceptions=True)
        await self.inbox_writer.close()
        await self.inbox_store.close()
        if self.feeder is not None:
            await self.feeder.close()
        if self.local_feeder is not None:
            await self.local_feeder.close()
        if self.consuming:
            await self.backends.queue.close(drain=True)
        await self.dispatcher.emit_shutdown(runtime=self)
        for channel in self.channels.values():
            await channel.close()
        await self.http.close()
        await self.content.close()
        await self.backends.close()
        await close_db(self._db)
