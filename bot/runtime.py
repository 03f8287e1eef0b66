"""Assembles one process: every part built once, each given only what it uses.

Nothing else in the code looks the runtime up: `build_app` (serve), the `worker` command and
the CLI's tools build one and hand its parts on. The roles:

- `serve`: takes webhooks (`ingest`), answers the Mini App and the sandbox; without Redis it
  also runs the handlers and the queue's jobs (one process does it all);
- `worker`: runs the handlers and the queue's jobs (with Redis);
- `tool`: a CLI command that needs the channels (no queue consumed, no webhooks).

A `serve` with Redis may also consume (`consume=True`): one process doing both, as the
tests do.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal

from aiohttp import web

from bot.apiclient.http import SharedHttp
from bot.backends.factory import build_backends
from bot.backends.redis.watch import RestartWatch
from bot.channels.registry import build_channels
from bot.content.schema import Content
from bot.content.store import ContentStore
from bot.core.events import Event
from bot.core.router import Router
from bot.db import close_db, init_db
from bot.handlers import build_dispatcher
from bot.handlers.services import Services
from bot.jobs import register_jobs
from bot.journeys.runner import Journeys
from bot.outreach.broadcasts import BroadcastSender
from bot.outreach.notices import Notices
from bot.outreach.pace import redis_pacers
from bot.outreach.scheduler import Scheduler
from bot.pipeline.inbox import InboxProcessor
from bot.pipeline.ingest.ingest import InboxIngest
from bot.pipeline.modes import Mode, build_consumer, build_ingest
from bot.pipeline.outbox import Outbox
from bot.pipeline.reply import Reply
from bot.settings import Settings
from bot.web.media import Media
from games.render.cache import RenderCache
from games.render.warm import warm_games
from loyalty.clock import utcnow
from loyalty.stock import sync_prize_stock

log = logging.getLogger("bot.runtime")

GC_YOUNG_THRESHOLD = 10_000  # Python's default is 700 (see `Runtime.freeze_heap`)
Role = Literal["serve", "worker", "tool"]


class Runtime:
    """Settings, backends, content, channels, the inbox and outbox, and the dispatcher of
    one process, wired together at construction (no I/O until `start`)."""

    def __init__(
        self,
        settings: Settings,
        *,
        role: Role,
        routers: Sequence[Router] = (),
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        consume: bool | None = None,
    ) -> None:
        """`consume`: run the queue's jobs here too (default: `worker`, and `serve`
        without Redis; a `serve` with Redis can do both, as the tests do)."""
        s = self.settings = settings
        self.role = role
        self.mode = Mode.of(settings)
        if consume is None:
            consume = role == "worker" or (role == "serve" and not self.mode.redis)
        self.consumes = consume
        self.backends = build_backends(settings)
        self.http = SharedHttp()
        self.content = ContentStore(s.CONTENT_PATH, s.CONTENT_RELOAD_SECONDS)
        self.channels = build_channels(
            settings, http=self.http, kv=self.backends.kv, locks=self.backends.locks
        )
        self.render_cache = RenderCache(s.media_dir)
        self.services = Services(
            settings=settings,
            kv=self.backends.kv,
            media=Media(self.render_cache, s.PUBLIC_BASE_URL),
            clock=clock or utcnow,
            rng=rng or random.SystemRandom(),
        )
        self.dispatcher = build_dispatcher(
            storage=self.backends.fsm,
            locks=self.backends.locks,
            services=self.services,
            extra_routers=routers,
        )
        queue, kv = self.backends.queue, self.backends.kv
        self.outbox = Outbox(queue=queue, locks=self.backends.locks, channels=self.channels)
        self.consumer = (
            build_consumer(self.mode, queue=queue, kv=kv, ingest_busy=self._ingest_busy)
            if self.consumes
            else None
        )
        self.inbox = InboxProcessor(
            queue=queue,
            locks=self.backends.locks,
            channels=self.channels,
            dispatch=self.dispatch,
            turns=self.consumer.turns if self.consumer else None,
            backlog_from=self.consumer.backlog_from if self.consumer else None,
        )
        self.ingest: InboxIngest | None = None
        if role == "serve":
            self.ingest = build_ingest(
                self.mode, queue=queue, kv=kv, consumer=self.consumer, writer_process=True
            )
        self.broadcasts = BroadcastSender(
            channels=self.channels,
            content=lambda: self.content.current,
            clock=self.services.clock,
            channel_order=s.OUTREACH_CHANNEL_ORDER,
            rates={"zalo": s.OUTREACH_RATE_ZALO, "messenger": s.OUTREACH_RATE_MESSENGER},
            concurrency=s.OUTREACH_CONCURRENCY,
            batch=s.OUTREACH_CLAIM_BATCH,
            lease_seconds=s.OUTREACH_CLAIM_LEASE_SECONDS,
            pacers=(  # with Redis, one rate budget per channel across every worker
                redis_pacers(self.backends.redis, s.REDIS_PREFIX) if self.backends.redis else None
            ),
        )
        self.notices = Notices(
            outbox=self.outbox,
            content=lambda: self.content.current,
            clock=self.services.clock,
            channel_order=s.OUTREACH_CHANNEL_ORDER,
        )
        self.journeys = Journeys(
            outbox=self.outbox,
            channels=self.channels,
            content=lambda: self.content.current,
            clock=self.services.clock,
            channel_order=s.OUTREACH_CHANNEL_ORDER,
            lease_seconds=s.OUTREACH_CLAIM_LEASE_SECONDS,
        )
        self.scheduler = Scheduler(
            sender=self.broadcasts,
            queue=queue,
            clock=self.services.clock,
            extra=[self.notices.scan, self.journeys.tick],
        )
        register_jobs(
            queue,
            inbox=self.inbox,
            outbox=self.outbox,
            burst=self.consumer.turns if self.consumer else None,
            content=self.content,
            retention_days=s.MESSAGE_RETENTION_DAYS,
            segment_refresh_minutes=s.SEGMENT_REFRESH_MINUTES,
            scheduler=self.scheduler,
            scheduler_tick=s.SCHEDULER_TICK_SECONDS,
            notices=self.notices,
        )
        self.redis_watch: RestartWatch | None = None
        if self.consumes and self.backends.redis is not None:
            self.redis_watch = RestartWatch(self.backends.redis, self._requeue_all)
        self._db: list[Any] = []
        self._closing = False
        self._started = False
        self._warming: asyncio.Task[int] | None = None  # campaign images drawn ahead

    def setup_routes(self, app: web.Application) -> None:
        """The webhooks of every channel, storing through this process's ingest."""
        assert self.ingest is not None, "only `serve` takes webhooks"
        for channel in self.channels.values():
            channel.setup_routes(app, self.ingest)

    async def start(self) -> None:
        s = self.settings
        s.DATA_DIR.mkdir(parents=True, exist_ok=True)
        await self.content.start()  # a broken content file stops the start here
        self._db = await init_db(s.DATABASE_URL, pool_size=s.DATABASE_POOL_SIZE)
        self._started = True
        if self.ingest is not None:
            await self.ingest.start()
        # Prize stock follows the content file: on start and after every good reload.
        shards = s.PRIZE_STOCK_SHARDS
        await sync_prize_stock(self.content.current.games, shards=shards)

        async def sync_stock(content: Content) -> None:
            await sync_prize_stock(content.games, shards=shards)

        self.content.subscribe(sync_stock)
        for channel in self.channels.values():
            await channel.start()
        await self.dispatcher.emit_startup()
        if self.consumes:
            await self.consume()
        log.info(
            "runtime ready: role=%s mode=%s channels=%s sandbox=%s loop=%s",
            self.role,
            self.mode.describe(),
            ",".join(self.channels),
            ",".join(n for n, c in self.channels.items() if c.sandbox) or "-",
            type(asyncio.get_running_loop()).__module__.split(".")[0],
        )

    async def consume(self) -> None:
        """Run the queue's jobs in this process (and, with PostgreSQL + Redis, listen for
        new inbox rows to queue them)."""
        assert self.consumer is not None
        await self.backends.queue.start({})
        if self.settings.WARM_RENDERS:
            # The handlers run here, so their shared images are drawn here, ahead of players.
            self.warm_renders(self.content.current)
            self.content.subscribe(self.warm_renders)
        if self.consumer.feeder is not None:
            await self.consumer.feeder.start()
        if self.redis_watch is not None:
            self.redis_watch.start()

    async def _requeue_all(self) -> None:
        """The queue lost its jobs (Redis restarted): wake every user with work waiting."""
        users = await self.inbox.requeue_pending()
        senders = await self.outbox.sweep_due()
        log.warning("re-queued %d user(s) with events and %d with replies", users, senders)

    def warm_renders(self, content: Content) -> None:
        """Draw the campaigns' shared images in the background (again after each reload:
        an edited campaign is a new version with new images)."""
        if self._warming is not None:
            self._warming.cancel()
        turns = self.consumer.turns if self.consumer else None
        self._warming = asyncio.create_task(
            warm_games(
                self.render_cache,
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
        return not self._closing and self.ingest is not None and self.ingest.busy()

    async def dispatch(self, event: Event, inbox_id: int | None = None) -> Any:
        """Feed one neutral event through the routers with the per-event services."""
        return await self.dispatcher.feed_event(
            event,
            reply=Reply(self.outbox, event, inbox_id),
            content=self.content.current,
            channel=self.channels[event.channel],
            inbox_id=inbox_id,
        )

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

    async def close(self) -> None:
        """Graceful: finish queued events first, then close clients and connections."""
        self._closing = True  # queued handlers no longer wait for their turn
        if self._warming is not None:
            self._warming.cancel()
            await asyncio.gather(self._warming, return_exceptions=True)
        if self.ingest is not None:
            await self.ingest.close()
        if self.redis_watch is not None:
            await self.redis_watch.close()
        consumer = self.consumer
        if consumer is not None and consumer.feeder is not None:
            await consumer.feeder.close()
        if consumer is not None and consumer.local_feeder is not None:
            await consumer.local_feeder.close()
        if self.consumes:
            await self.backends.queue.close(drain=True)
        if self._started:
            await self.dispatcher.emit_shutdown()
        for channel in self.channels.values():
            await channel.close()
        await self.http.close()
        await self.content.close()
        await self.backends.close()
        await close_db(self._db)


RUNTIME = web.AppKey("runtime", Runtime)
"""The app's runtime, for the process commands and tests only: views use the narrow keys of
`bot.appkeys`."""
