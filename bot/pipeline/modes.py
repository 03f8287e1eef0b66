"""The four ways a deployment runs, decided once from the settings, in this one place.

| database | queue | webhooks are stored by | new rows reach the handlers |
|---|---|---|---|
| SQLite | in-process | `ingest.sqlite` (writer process) | a job per user; bursts: `LocalFeeder` |
| SQLite | Redis | `ingest.sqlite` (writer process) | a job per user, queued by `serve` |
| PostgreSQL | in-process | `ingest.postgres` | a job per user; bursts: `LocalFeeder` |
| PostgreSQL | Redis | `ingest.postgres`, the INSERT notifies | the workers' `InboxFeeder` |

In every mode a burst holds the handlers back behind the acknowledgements
(`priority`): in one process through `HandlerTurns` over its own ingest, across processes
through `serve`'s pressure mark in Redis (`PressureMark` → `PressureGate`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.backends.base import JobQueue, KeyValue
from bot.backends.memory.queue import InProcessQueue
from bot.contracts.inbox import NewRows
from bot.pipeline.feeder import InboxFeeder, notify_channel
from bot.pipeline.inbox import enqueue_new
from bot.pipeline.ingest.group_commit import AfterFn
from bot.pipeline.ingest.ingest import InboxIngest, InboxWriter, no_handoff
from bot.pipeline.ingest.postgres import PostgresInboxWriter
from bot.pipeline.ingest.sqlite import SqliteInboxWriter
from bot.pipeline.local_feeder import LocalFeeder
from bot.pipeline.priority import HandlerTurns, PressureGate, PressureMark
from bot.settings import Settings

Pressed = Callable[[], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Mode:
    postgres: bool
    redis: bool
    settings: Settings

    @classmethod
    def of(cls, settings: Settings) -> Mode:
        return cls(
            postgres=settings.DATABASE_URL.startswith(("postgres://", "postgresql://")),
            redis=bool(settings.REDIS_URL),
            settings=settings,
        )

    @property
    def notifies(self) -> bool:
        """The INSERT tells the workers about new rows (PostgreSQL + Redis, unless
        `INGEST_NOTIFY` is off: then `serve` queues the jobs itself, through Redis)."""
        return self.postgres and self.redis and self.settings.INGEST_NOTIFY

    @property
    def holds_handlers(self) -> bool:
        return self.settings.INGEST_PRIORITY_MAX_WAIT > 0

    def describe(self) -> str:
        database = "postgres" if self.postgres else "sqlite"
        return f"{database}+{'redis' if self.redis else 'in-process'}"


@dataclass(slots=True)
class Consumer:
    """What the process that runs the handlers needs besides the queue."""

    turns: HandlerTurns | None  # handlers take turns with the acks in a burst
    local_feeder: LocalFeeder | None  # in-process: a burst waits in the inbox table
    feeder: InboxFeeder | None  # PostgreSQL + Redis: LISTEN for new rows

    def backlog_from(self) -> int | None:
        return self.local_feeder.backlog_from if self.local_feeder is not None else None


def build_consumer(mode: Mode, *, queue: JobQueue, kv: KeyValue, ingest_busy: Pressed) -> Consumer:
    """`ingest_busy`: this process's own webhooks are under pressure (one-process mode)."""
    s = mode.settings
    turns: HandlerTurns | None = None
    local_feeder: LocalFeeder | None = None
    if mode.holds_handlers:
        max_wait, share = s.INGEST_PRIORITY_MAX_WAIT, s.INGEST_HANDLER_SHARE
        if mode.redis:  # a worker: acks in `serve` (told through Redis) before handlers here
            turns = PressureGate(kv, max_wait, share)
        else:
            turns = HandlerTurns(ingest_busy, max_wait=max_wait, share=share, poll=0.02)
            assert isinstance(queue, InProcessQueue)
            local_feeder = LocalFeeder(queue, turns.pressed)
    feeder = None
    if mode.notifies:
        pressed = turns.pressed if turns is not None else None
        feeder = InboxFeeder(queue, notify_channel(s.REDIS_PREFIX), pressed=pressed)
    return Consumer(turns=turns, local_feeder=local_feeder, feeder=feeder)


def build_ingest(
    mode: Mode,
    *,
    queue: JobQueue,
    kv: KeyValue,
    consumer: Consumer | None,
    writer_process: bool,
) -> InboxIngest:
    """The webhooks' ingest of `serve`. `consumer`: this process also runs the handlers
    (no Redis); `writer_process`: SQLite may start its writer process."""
    s = mode.settings
    writer: InboxWriter
    if mode.postgres:
        writer = PostgresInboxWriter(notify_channel(s.REDIS_PREFIX) if mode.notifies else None)
    else:
        writer = SqliteInboxWriter(use_process=writer_process and s.INGEST_SQLITE_WRITER)
    handoff: AfterFn
    if mode.notifies:
        handoff = no_handoff
    elif consumer is not None and consumer.local_feeder is not None:
        handoff = consumer.local_feeder.committed
    else:

        async def enqueue(new: NewRows) -> None:
            await enqueue_new(queue, new)

        handoff = enqueue

    on_pressure = PressureMark(kv) if mode.redis and mode.holds_handlers else None
    return InboxIngest(
        writer,
        handoff,
        # SQLite has one writer: parallel batches would only queue for it, and come smaller.
        max_inflight=s.INGEST_BATCHES_IN_FLIGHT if mode.postgres else 1,
        min_rows=s.INGEST_BATCH_MIN_ROWS,
        on_pressure=on_pressure,
    )
