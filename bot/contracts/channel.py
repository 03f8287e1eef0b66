"""What a platform channel provides to the neutral pipeline.

A channel owns every platform quirk: verifying and splitting webhooks, parsing stored items
into neutral events, rendering neutral messages into platform requests within the platform's
limits, and delivering one rendered request. The pipeline does the rest (dedupe, durable
queueing, ordering, retries) identically for every channel.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from bot.contracts.inbox import Ingest
from bot.contracts.outbound import OutboundRequest
from bot.core.events import Event
from bot.core.messages import OutboundMessage

if TYPE_CHECKING:
    from bot.models import OutboxMessage


@dataclass(frozen=True, slots=True)
class Profile:
    name: str | None = None
    user_id_by_app: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Channel(ABC):
    """A platform adapter; one instance per running process, built before it starts."""

    name: ClassVar[str]
    # The platform echoes each sent message with the outbox row it came from (Messenger's
    # `metadata`): a send that timed out is then held for its echo, not resent at once.
    echoes_name_rows: ClassVar[bool] = False

    @property
    @abstractmethod
    def account_id(self) -> str:
        """The OA id or Page id this process serves."""

    @property
    @abstractmethod
    def sandbox(self) -> bool:
        """True when the channel has no credentials: deliveries go to the sandbox transport."""

    @abstractmethod
    def setup_routes(self, app: web.Application, ingest: Ingest) -> None:
        """Register the webhook route(s); verified items go to `ingest`."""

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
        """Seed tokens, publish assets: what needs the database or the network."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Close clients."""
