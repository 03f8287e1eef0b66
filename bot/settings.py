"""Process settings: every name in shared/CONTRACT.md, read from the environment and `.env`.

One typed object built once at start; a wrong value stops the process with one line that
names the variable and what it expects (see :func:`load_settings`).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ADMIN_ROLES = ("owner", "manager", "staff")
# Settings whose value must never be echoed in an error line (it ends up in logs).
_SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL|REDIS_URL")


class SettingsError(Exception):
    """A setting has a value the service cannot run with; the message is one line."""


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    # --- server -------------------------------------------------------------------------
    APP_HOST: str = "127.0.0.1"
    APP_PORT: int = Field(8080, ge=1, le=65535)
    PUBLIC_BASE_URL: str = "http://127.0.0.1:8080"
    DATA_DIR: Path = Path("data")
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    LOG_FORMAT: Literal["text", "json"] = "text"
    WEBHOOK_MAX_BODY_BYTES: int = Field(1_048_576, ge=1024)
    # uvloop when installed (it is in requirements.lock): a faster event loop for the same code.
    EVENT_LOOP: Literal["auto", "uvloop", "asyncio"] = "auto"
    # While webhooks queue up (a burst), each event's handler waits up to this many seconds, so
    # the burst is acknowledged first and processed after: in-process without Redis, in a
    # worker with Redis (through a mark `serve` sets there). 0: off.
    INGEST_PRIORITY_MAX_WAIT: float = Field(2.0, ge=0, le=60)
    # Past that wait, during a longer burst, handlers take one event at a time and are busy
    # at most this fraction of the time (the acks get the rest); 1: one at a time, no rest.
    INGEST_HANDLER_SHARE: float = Field(0.2, gt=0, le=1)
    # Webhook batches written at once on PostgreSQL (SQLite: always 1, one writer). Fewer
    # means bigger batches and less CPU per request; more hides a slow disk flush better.
    INGEST_BATCHES_IN_FLIGHT: int = Field(2, ge=1, le=32)
    # A batch beyond the first in flight starts only once this many rows wait for it (1:
    # at once): a batch of one or two rows costs a whole statement and delays the rest.
    INGEST_BATCH_MIN_ROWS: int = Field(8, ge=1, le=400)
    # SQLite only: `serve` writes the webhook batches through a small process of its own
    # (`bot.pipeline.ingest.sqlite_writer`), so SQLite's work does not compete with the event loop
    # for the interpreter lock. Off: written by aiosqlite's thread inside `serve`.
    INGEST_SQLITE_WRITER: bool = True
    # PostgreSQL + Redis: the webhook's INSERT notifies the workers, who queue the jobs, so
    # `serve` makes no Redis call per batch. Off: `serve` queues them (measured in bench/).
    INGEST_NOTIFY: bool = True
    # `worker` lowers its own CPU priority by this much (os.nice) so that on a shared host
    # the webhook acknowledgements in `serve` go first; 0 keeps the default priority.
    WORKER_NICE: int = Field(10, ge=0, le=19)
    # On SIGTERM/SIGINT, `serve` and `worker` finish what they can for at most this many
    # seconds (requests in flight, queued jobs), then close every connection and exit.
    SHUTDOWN_TIMEOUT_SECONDS: float = Field(10.0, gt=0, le=300)
    # With Redis: jobs one `worker` runs at once (handlers and sends wait on the database
    # and the platforms, rarely on the CPU), and how often it looks for new ones.
    QUEUE_CONCURRENCY: int = Field(32, ge=1, le=1000)
    QUEUE_POLL_SECONDS: float = Field(0.05, gt=0, le=5)

    # --- storage ------------------------------------------------------------------------
    DATABASE_URL: str = Field("sqlite://data/app.sqlite3", repr=False)  # may hold a password
    # PostgreSQL connections per process: concurrent plays each hold one for their transaction.
    DATABASE_POOL_SIZE: int = Field(20, ge=1, le=500)
    # Rows each prize's stock is split over, so that concurrent winners of one prize do not
    # queue on one locked row until each commit (a prize never gets more rows than units).
    PRIZE_STOCK_SHARDS: int = Field(8, ge=1, le=64)
    REDIS_URL: str = Field("", repr=False)
    # How often RFM scores and every segment are recomputed (a scheduled job, `bot/jobs.py`);
    # a member's own segments are also recomputed right after each of its orders.
    SEGMENT_REFRESH_MINUTES: int = Field(60, ge=1, le=7 * 24 * 60)
    REDIS_PREFIX: str = Field("zlb:", pattern=r"^[A-Za-z0-9_.:-]{1,40}$")
    CONTENT_PATH: Path = Path("config/content.yaml")
    CONTENT_RELOAD_SECONDS: float = Field(2.0, gt=0)
    # The process that runs the handlers draws the campaigns' shared images (wheel, spins,
    # scratch cards, quiz cards) after start and after each reload, before players ask.
    WARM_RENDERS: bool = True

    # --- Zalo ---------------------------------------------------------------------------
    ZALO_APP_ID: str = ""
    ZALO_APP_SECRET: str = Field("", repr=False)
    ZALO_OA_ID: str = ""
    ZALO_OA_SECRET_KEY: str = Field("", repr=False)
    ZALO_OA_ACCESS_TOKEN: str = Field("", repr=False)
    ZALO_OA_REFRESH_TOKEN: str = Field("", repr=False)
    ZALO_OPENAPI_URL: str = "https://openapi.zalo.me"
    ZALO_OAUTH_URL: str = "https://oauth.zaloapp.com"
    ZALO_GRAPH_URL: str = "https://graph.zalo.me"
    ZALO_BUSINESS_URL: str = "https://business.openapi.zalo.me"
    # The webhook MAC formula is disputed (shared/reference/zalo.md §1.2): which id comes
    # first and which secret is the key. The documented variant is the default.
    ZALO_WEBHOOK_MAC_ID: Literal["app_id", "oa_id"] = "app_id"
    ZALO_WEBHOOK_MAC_KEY: Literal["oa_secret_key", "app_secret"] = "oa_secret_key"

    # --- Messenger ----------------------------------------------------------------------
    FB_APP_SECRET: str = Field("", repr=False)
    FB_VERIFY_TOKEN: str = Field("", repr=False)
    FB_PAGE_ID: str = ""
    FB_PAGE_ACCESS_TOKEN: str = Field("", repr=False)
    FB_GRAPH_URL: str = "https://graph.facebook.com"
    FB_GRAPH_VERSION: str = Field("v25.0", pattern=r"^v\d+\.\d+$")

    # --- Mini App and admin API ----------------------------------------------------------
    ADMIN_API_KEY: str = Field("", repr=False)  # acts as the owner
    # Extra keys with a narrower role, `role:KEY` separated by commas (roles owner, manager,
    # staff; keys of 16+ characters): e.g. a till's staff key. See miniapp_api/auth.py.
    ADMIN_API_KEYS: Annotated[list[tuple[str, str]], NoDecode] = Field([], repr=False)
    # Wrong X-Api-Key answers per client address and minute before it gets 429 for a minute.
    ADMIN_AUTH_FAILURES_PER_MINUTE: int = Field(10, ge=1, le=10_000)
    SESSION_SECRET: str = Field("", repr=False)
    SESSION_TTL_SECONDS: int = Field(7 * 24 * 3600, ge=60)
    QR_TTL_SECONDS: int = Field(60, ge=10, le=3600)
    MINIAPP_ORIGINS: Annotated[list[str], NoDecode] = ["https://h5.zdn.vn", "zbrowser://h5.zdn.vn"]
    MEMBER_RATE_LIMIT_PER_MINUTE: int = Field(120, ge=1)

    # --- web console (/admin) -------------------------------------------------------------
    # A console sign-in lasts this long (then the person signs in again).
    CONSOLE_SESSION_HOURS: int = Field(12, ge=1, le=24 * 30)
    # Wrong passwords per account (per account and address for the owner) within
    # CONSOLE_LOCKOUT_MINUTES before that account is refused until the window ends; and per
    # client address, for every account. Locks always end by themselves: see README.
    CONSOLE_LOGIN_FAILURES: int = Field(5, ge=1, le=1000)
    CONSOLE_ADDRESS_FAILURES: int = Field(20, ge=1, le=10_000)
    CONSOLE_LOCKOUT_MINUTES: int = Field(15, ge=1, le=24 * 60)

    # --- privacy ------------------------------------------------------------------------
    # Webhook and outbox rows (message texts, phone numbers) older than this are purged by
    # the scheduler (`bot.retention.purge_expired`).
    MESSAGE_RETENTION_DAYS: int = Field(90, ge=1, le=3650)

    # --- outreach (bot/outreach) --------------------------------------------------------
    # How often scheduled and held broadcasts and the daily jobs are looked for.
    SCHEDULER_TICK_SECONDS: float = Field(30.0, gt=0, le=3600)
    # A member with several identities gets one message, on the first channel allowed now.
    OUTREACH_CHANNEL_ORDER: Annotated[list[str], NoDecode] = ["zalo", "messenger"]
    # Broadcast sends per second per channel and worker (Zalo: 4,000 req/min per app;
    # Messenger: 300 calls/s per Page, zalo.md §2.4, messenger.md §2): safe margins.
    OUTREACH_RATE_ZALO: float = Field(50.0, gt=0, le=10_000)
    OUTREACH_RATE_MESSENGER: float = Field(100.0, gt=0, le=10_000)
    # Concurrent platform calls per broadcast worker, and recipients claimed at a time.
    OUTREACH_CONCURRENCY: int = Field(32, ge=1, le=1000)
    OUTREACH_CLAIM_BATCH: int = Field(200, ge=1, le=5000)
    # A recipient claimed longer than this by a worker that died is looked at again.
    OUTREACH_CLAIM_LEASE_SECONDS: float = Field(120.0, ge=5)

    # --- sandbox ------------------------------------------------------------------------
    # None = automatic: on while any channel has no credentials.
    SANDBOX_ENABLED: bool | None = None
    SANDBOX_SECRET: str = Field("sandbox-secret", repr=False)

    @field_validator("MINIAPP_ORIGINS", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("OUTREACH_CHANNEL_ORDER", mode="before")
    @classmethod
    def _split_channels(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and not set(value) <= {"zalo", "messenger"}:
            raise ValueError("OUTREACH_CHANNEL_ORDER: channels are zalo and messenger")
        return value

    @field_validator("ADMIN_API_KEYS", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        keys = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            role, sep, key = part.partition(":")
            role, key = role.strip(), key.strip()
            if not sep or role not in ADMIN_ROLES:
                raise ValueError("expected role:KEY pairs, role one of owner, manager, staff")
            if len(key) < 16:
                raise ValueError(f"the {role} key is shorter than 16 characters")
            keys.append((role, key))
        return keys

    @field_validator("PUBLIC_BASE_URL", "ZALO_OPENAPI_URL", "ZALO_OAUTH_URL", "ZALO_GRAPH_URL")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("ZALO_BUSINESS_URL", "FB_GRAPH_URL")
    @classmethod
    def _strip_slash_more(cls, value: str) -> str:
        return cls._strip_slash(value)

    @field_validator("DATABASE_URL")
    @classmethod
    def _db_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgres://", "postgresql://", "asyncpg://")):
            raise ValueError("expected sqlite://PATH or postgres://USER@HOST:PORT/DB")
        return value

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://HOST:PORT/DB or empty for in-process backends")
        return value

    # --- derived ------------------------------------------------------------------------
    @property
    def zalo_configured(self) -> bool:
        """True when the OA can really be called (otherwise Zalo runs in sandbox mode)."""
        return bool(self.ZALO_OA_SECRET_KEY and self.ZALO_OA_ACCESS_TOKEN)

    @property
    def messenger_configured(self) -> bool:
        return bool(self.FB_APP_SECRET and self.FB_PAGE_ACCESS_TOKEN)

    @property
    def sandbox_enabled(self) -> bool:
        if self.SANDBOX_ENABLED is not None:
            return self.SANDBOX_ENABLED
        return not (self.zalo_configured and self.messenger_configured)

    @property
    def media_dir(self) -> Path:
        return self.DATA_DIR / "media"

    def session_secret(self) -> str:
        """`SESSION_SECRET`, or one generated into `DATA_DIR` on first run and kept there."""
        if self.SESSION_SECRET:
            return self.SESSION_SECRET
        path = self.DATA_DIR / "session_secret"
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value, encoding="utf-8")
        path.chmod(0o600)
        return value


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation error into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(part) for part in err["loc"]) or "settings"
            got = err.get("input")
            shown = "<hidden>" if _SECRET_NAME.search(name) else repr(got)
            lines.append(f"setting {name}={shown}: {err['msg']}")
        raise SettingsError("; ".join(lines)) from None
