"""`MessengerChannel`: the Facebook Page as one of the bot's channels.

Inbound: the webhook (`webhook.py`) stores items; `to_events` turns one into neutral events,
or applies it to delivery state (receipts, echoes). Outbound: `render` builds Send API bodies;
`deliver` checks the 24-hour window, sends one body, and maps Graph errors to the pipeline's
retry (transient) or record-and-skip (permanent) outcomes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.apiclient.http import SharedHttp
from bot.channels.messenger import renderer
from bot.channels.messenger.client import GraphClient
from bot.channels.messenger.exceptions import (
    GraphNetworkError,
    InvalidTokenError,
    MessengerError,
    OutsideWindowError,
    UserUnavailableError,
)
from bot.channels.messenger.methods import (
    FilePart,
    SendAction,
    SendMessage,
    UploadAttachment,
    method_from_payload,
)
from bot.channels.messenger.parser import parse_item
from bot.channels.messenger.profiles import fetch_profile
from bot.channels.messenger.receipts import METADATA_PREFIX, apply_receipt
from bot.channels.messenger.types import MessagingItem
from bot.channels.messenger.webhook import MessengerWebhook, setup_webhook_routes
from bot.channels.messenger.window import window_refusal
from bot.contracts.channel import Channel, Profile
from bot.contracts.contacts import touch_contact
from bot.contracts.delivery import PermanentDeliveryError, TransientDeliveryError
from bot.contracts.inbox import Ingest
from bot.contracts.outbound import OutboundRequest
from bot.core.events import Event
from bot.core.messages import OutboundMessage
from bot.models import Contact
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.models import OutboxMessage

log = logging.getLogger("bot.channels.messenger")

SANDBOX_ACCOUNT = "sandbox-page"
RECEIPT_KINDS = frozenset({"delivery", "read", "echo"})
USER_ACTIONS = frozenset({"message", "postback", "referral"})


class MessengerChannel(Channel):
    name = "messenger"
    echoes_name_rows = True  # `metadata = "outbox:<id>"` (receipts.py)

    def __init__(self, settings: Settings, *, http: SharedHttp) -> None:
        self.settings = settings
        self.client = GraphClient.from_settings(settings, http=http)

    # -- identity ------------------------------------------------------------------------
    @property
    def account_id(self) -> str:
        return self.settings.FB_PAGE_ID or SANDBOX_ACCOUNT

    @property
    def sandbox(self) -> bool:
        return not self.settings.messenger_configured

    @property
    def webhook_key(self) -> str:
        """The HMAC key of `X-Hub-Signature-256`: the App Secret, or the sandbox secret."""
        return self.settings.FB_APP_SECRET or self.settings.SANDBOX_SECRET

    @property
    def page_filter(self) -> str | None:
        """Entries for other Pages (one app, several Pages) are not ours."""
        return self.settings.FB_PAGE_ID or None

    def setup_routes(self, app: web.Application, ingest: Ingest) -> None:
        views = MessengerWebhook(
            ingest,
            verify_token=self.settings.FB_VERIFY_TOKEN,
            key=self.webhook_key,
            account_id=self.account_id,
            only_page=self.page_filter,
        )
        setup_webhook_routes(app, views)

    async def close(self) -> None:
        await self.client.close()

    # -- inbound -------------------------------------------------------------------------
    async def to_events(self, item: dict[str, Any]) -> list[Event]:
        kind = item.get("kind")
        if item.get("standby"):
            if kind in USER_ACTIONS:
                # Another app (e.g. the Page inbox) owns the thread, but the person's action
                # still opens the Page's 24-hour window.
                parsed = MessagingItem.model_validate(item["item"])
                await touch_contact("messenger", self.account_id, parsed.user_id or "")
            return []
        if kind in RECEIPT_KINDS:
            await apply_receipt(MessagingItem.model_validate(item["item"]), self.account_id)
            return []
        _, events = parse_item(item, self.account_id)
        if self.sandbox and events:
            await _remember_sandbox_name(self.account_id, events[0].user_id, item.get("item"))
        if not events:
            log.debug("messenger %s item: nothing for handlers", kind)
        return events

    # -- outbound ------------------------------------------------------------------------
    def render(
        self, messages: Sequence[OutboundMessage], *, user_id: str, reply_to: str | None
    ) -> list[OutboundRequest]:
        return renderer.render(messages, user_id=user_id, reply_to=reply_to)

    async def deliver(self, row: OutboxMessage) -> str | None:
        if row.platform_message_id:
            return row.platform_message_id  # an echo proved an earlier try went through
        # A broadcast's row was just decided by the delivery policy on the same Contact row
        # (`bot.outreach.policy`): reading it again would cost a statement per recipient.
        if not getattr(row, "window_checked", False):
            contact = await Contact.get_or_none(
                channel="messenger", account_id=row.account_id, user_id=row.user_id
            )
            refusal = window_refusal(
                row.payload,
                promotional=row.promotional,
                last_inbound_at=contact.last_inbound_at if contact else None,
                now=datetime.now(UTC),
            )
            if refusal is not None:
                raise PermanentDeliveryError(refusal)
        method = method_from_payload(row.payload)
        if (
            isinstance(method, SendMessage)
            and "metadata" not in method.message
            and method.messaging_type != "UTILITY"  # unsure it is allowed with a template
        ):
            message = {**method.message, "metadata": f"{METADATA_PREFIX}{row.id}"}
            method = method_from_payload({**row.payload, "message": message})
        try:
            result = await self.client(method)
        except MessengerError as exc:
            raise self._delivery_error(exc, row) from exc
        return result.message_id

    def _delivery_error(self, exc: MessengerError, row: OutboxMessage) -> Exception:
        reason = str(exc)
        if isinstance(exc, InvalidTokenError):
            log.error(
                "ALERT: the Page access token was refused (%s); Messenger sends stop until "
                "FB_PAGE_ACCESS_TOKEN is replaced",
                exc,
            )
            return PermanentDeliveryError(f"page token refused: {reason}")
        if isinstance(exc, OutsideWindowError):
            return PermanentDeliveryError(f"outside the 24-hour window (Graph): {reason}")
        if isinstance(exc, UserUnavailableError):
            return PermanentDeliveryError(f"person unavailable: {reason}", unreachable=True)
        if isinstance(exc, GraphNetworkError) and exc.maybe_delivered:
            # Tried again later with the same metadata: an echo of the first try, if it did
            # arrive, marks the row sent before the retry (`deliver`).
            return TransientDeliveryError(f"may have been delivered: {reason}")
        if exc.transient:
            return TransientDeliveryError(reason)
        log.warning("messenger send %s refused: %s", row.id, reason)
        return PermanentDeliveryError(reason)

    # -- extras ----------------------------------------------------------------------------
    async def get_profile(self, user_id: str) -> Profile:
        if self.sandbox:
            contact = await Contact.get_or_none(
                channel="messenger", account_id=self.account_id, user_id=user_id
            )
            return Profile(name=contact.display_name if contact else None)
        return await fetch_profile(self.client, self.account_id, user_id)

    async def send_action(self, user_id: str, action: str = "typing_on") -> None:
        """A sender action right now (outside the outbox: it is worthless when late)."""
        if self.sandbox:
            return
        await self.client(SendAction(recipient_id=user_id, action=action))

    async def upload(
        self, *, url: str | None = None, file: FilePart | None = None, kind: str = "image"
    ) -> str:
        """Upload a reusable asset; pass the id as `channel_data["messenger"]["attachment_id"]`."""
        return await self.client(UploadAttachment(type=kind, url=url, file=file))


async def _remember_sandbox_name(account_id: str, user_id: str, raw: Any) -> None:
    """The sandbox page sends the test user's name (`sandbox_profile: {"name"}`) with each
    event, standing in for the profile API a real Page would call."""
    profile = raw.get("sandbox_profile") if isinstance(raw, dict) else None
    name = profile.get("name") if isinstance(profile, dict) else None
    if not isinstance(name, str) or not name.strip() or not user_id:
        return
    contact, _ = await Contact.get_or_create(
        channel="messenger", account_id=account_id, user_id=user_id
    )
    await Contact.filter(id=contact.id).update(display_name=name.strip()[:64])
