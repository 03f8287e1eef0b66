"""What a platform channel provides to the neutral pipeline.

A channel owns every platform quirk: verifying and splitting webhooks, parsing stored items
into neutral events, rendering neutral messages into platform requests within the platform's
limits, and delivering one rendered request. The pipeline (`bot/pipeline/`) does the rest —
dedupe, durable queueing, ordering, retries — identically for every channel.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from bot.core.events import Event
from bot.core.messages import OutboundMessage

if TYPE_CHECKING:
    from bot.models import OutboxMessage
    from bot.runtime import Runtime


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One platform event cut out of a webhook POST, ready to store."""

    account_id: str
    user_id: str
    dedupe_key: str  # platform message id, or event + user + timestamp
    event_name: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """One platform API call rendered from neutral messages, stored in the outbox."""

    method: str  # e.g. "message/cs", "me/messages"
    payload: dict[str, Any]
    promotional: bool = False


@dataclass(frozen=True, slots=True)
class Profile:
    name: str | None = None
    user_id_by_app: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """Base of delivery outcomes other than success."""


class TransientDeliveryError(DeliveryError):
    """Try again later (platform down, rate limited, timeout)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Never retried; `unreachable` marks the contact so nothing more is sent to them."""

    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreachable = unreachable


class Channel(ABC):
    """A platform adapter; one instance per running process."""

    name: ClassVar[str]

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @property
    @abstractmethod
    def account_id(self) -> str:
        """The OA id or Page id this process serves."""

    @property
    @abstractmethod
    def sandbox(self) -> bool:
        """True when the channel has no credentials: deliveries go to the sandbox transport."""

    @classmethod
    @abstractmethod
    def setup_routes(cls, app: web.Application) -> None:
        """Register the webhook route(s) at app build time.

        Views find the live instance as `request.app[RUNTIME].channels[cls.name]`.
        """

    @abstractmethod
    async def to_events(self, item: dict[str, Any]) -> list[Event]:
        """Turn one stored inbox item into neutral events (none for echoes and receipts)."""

    @abstractmethod
    def render(
        self, messages: Sequence[OutboundMessage], *, user_id: str, reply_to: str | None
    ) -> list[OutboundRequest]:
        """Neutral messages → platform requests, within limits, with fallbacks."""

    @abstractmethod
    async def deliver(self, row: OutboxMessage) -> str | None:
        """Send one stored request; return the platform message id.

        Raises TransientDeliveryError or PermanentDeliveryError.
        """

    async def deliver_sandbox(self, row: OutboxMessage) -> str:
        """Sandbox mode: the stored request is the delivery (the sandbox page reads the outbox).

        Channels override this to keep the side effects a real delivery has (e.g. Zalo's
        numbered-choice memory), so the sandbox behaves like production.
        """
        return f"sandbox-{row.id}"

    async def get_profile(self, user_id: str) -> Profile:
        """The user's platform profile (name); channels cache it."""
        return Profile()

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open clients, seed tokens."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Close clients."""
