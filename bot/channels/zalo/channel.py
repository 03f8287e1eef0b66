"""`ZaloChannel`: the Zalo OA adapter the neutral pipeline drives.

It wires the pieces together — client and token store, MAC verifier, parser, renderer,
delivery — and keeps Zalo's bookkeeping out of handlers: receipts update the outbox, a new
interaction lifts a window-related "unreachable" mark, numbered-choice answers are resolved.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.apiclient.http import SharedHttp
from bot.backends.base import KeyValue, LockManager
from bot.channels.zalo import delivery, profiles
from bot.channels.zalo.api_server import ZaloAPIServer
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.exceptions import CURED_BY_INTERACTION
from bot.channels.zalo.inbound import to_neutral
from bot.channels.zalo.mac import MacVerifier
from bot.channels.zalo.parser import parse_event, to_inbox_item
from bot.channels.zalo.receipts import apply_receipt
from bot.channels.zalo.renderer import ZaloRenderer
from bot.channels.zalo.session.aiohttp import AiohttpSession
from bot.channels.zalo.tokens import TokenManager
from bot.channels.zalo.types.events import (
    ClickChatNow,
    Echo,
    Follow,
    Receipt,
    SubmitInfo,
    UnknownEvent,
    UserMessage,
    WebhookEvent,
)
from bot.channels.zalo.webhook import setup_webhook
from bot.contracts.channel import Channel, Profile
from bot.contracts.inbox import InboxItem, Ingest
from bot.contracts.outbound import OutboundRequest
from bot.core.events import Event
from bot.core.messages import OutboundMessage
from bot.models import Contact
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.models import OutboxMessage

log = logging.getLogger("bot.channels.zalo")

SANDBOX_ACCOUNT = "sandbox-oa"
BANNER = Path(__file__).resolve().parents[3] / "assets" / "images" / "banner.png"
_CODE = re.compile(r"^zalo (-\d+):")


class ZaloChannel(Channel):
    name = "zalo"

    def __init__(
        self, settings: Settings, *, http: SharedHttp, kv: KeyValue, locks: LockManager
    ) -> None:
        s = self.settings = settings
        self.kv = kv  # numbered-choice memory (`delivery.remember_choices`)
        self.api = ZaloAPIServer.from_settings(s)
        self.session = AiohttpSession(self.api, http=http)
        self.tokens = TokenManager(
            account_id=self.account_id,
            app_id=s.ZALO_APP_ID,
            app_secret=s.ZALO_APP_SECRET,
            session=self.session,
            locks=locks,
            seed_access_token=s.ZALO_OA_ACCESS_TOKEN,
            seed_refresh_token=s.ZALO_OA_REFRESH_TOKEN,
        )
        self.client = ZaloClient(self.session, tokens=self.tokens, app_secret=s.ZALO_APP_SECRET)
        self.verifier = MacVerifier.from_settings(s)
        self._banner_name = _banner_name()
        self.renderer = ZaloRenderer(
            s.PUBLIC_BASE_URL, f"{s.PUBLIC_BASE_URL}/media/{self._banner_name}"
        )

    # --- identity ---------------------------------------------------------------------------
    @property
    def account_id(self) -> str:
        return self.settings.ZALO_OA_ID or SANDBOX_ACCOUNT

    @property
    def sandbox(self) -> bool:
        return not self.settings.zalo_configured

    def setup_routes(self, app: web.Application, ingest: Ingest) -> None:
        setup_webhook(
            app,
            ingest,
            verifier=self.verifier,
            account_for=self.account_for,
            max_body=self.settings.WEBHOOK_MAX_BODY_BYTES,
        )

    # --- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        log.info("zalo webhook signature: %s", self.verifier.describe())
        self._publish_banner()
        if self.sandbox:
            log.info("zalo channel in sandbox mode: replies are recorded, not sent")
            return
        missing = [
            n
            for n in ("ZALO_OA_ID", "ZALO_APP_ID", "ZALO_APP_SECRET")
            if not getattr(self.settings, n)
        ]
        if missing:
            log.warning(
                "zalo: %s not set; token refresh and OA matching need them", ", ".join(missing)
            )
        await self.tokens.seed()

    async def close(self) -> None:
        await self.client.close()

    def _publish_banner(self) -> None:
        """Copy the default `request_user_info` banner where `/media/` serves it."""
        target = self.settings.media_dir / self._banner_name
        if target.exists() or not BANNER.is_file():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BANNER, target)

    # --- inbound ---------------------------------------------------------------------------
    def account_for(self, event: WebhookEvent) -> str:
        """The OA an event belongs to: the one it names when an OA is configured (so an
        event for another OA of the same app is kept apart), else this process's account."""
        if self.settings.ZALO_OA_ID:
            return event.oa or self.account_id
        return self.account_id

    def inbox_item(self, body: dict[str, Any]) -> InboxItem:
        """What the webhook stores for one body (exposed for tools and the sandbox)."""
        event = parse_event(body)
        return to_inbox_item(event, body, self.account_for(event))

    async def to_events(self, item: dict[str, Any]) -> list[Event]:
        event = parse_event(item)
        account = self.account_for(event)
        if account != self.account_id:
            log.warning(
                "zalo %s event for OA %s, this process serves %s: not handled",
                event.event_name,
                account,
                self.account_id,
            )
            return []
        if isinstance(event, Receipt | Echo):
            await apply_receipt(event)
            return []
        if isinstance(event, UnknownEvent):
            log.info("zalo %r event stored, not handled", event.event_name)
            return []
        if _is_interaction(event):
            await self._lift_window_mark(account, event.user_id)
        if self.sandbox and isinstance(event, Follow | UserMessage):
            await profiles.remember_sandbox_profile(account, event.user_id, item)
        choices = None
        if isinstance(event, UserMessage):
            choices = await self._take_choices(account, event.user_id)
        return to_neutral(event, account_id=account, choices=choices, raw=item)

    async def _take_choices(self, account: str, user_id: str) -> dict[str, tuple[str, str]]:
        """The numbered fallback applies to the user's next message only."""
        kv = self.kv
        key = delivery.choices_key(account, user_id)
        raw = await kv.get(key)
        if raw is None:
            return {}
        await kv.delete(key)
        try:
            data = json.loads(raw)
            return {str(k): (str(v[0]), str(v[1])) for k, v in data.items()}
        except (ValueError, TypeError, IndexError, AttributeError):
            return {}

    async def _lift_window_mark(self, account: str, user_id: str) -> None:
        """A new interaction reopens the window: undo an unreachable mark it cures."""
        contact = await Contact.get_or_none(channel="zalo", account_id=account, user_id=user_id)
        if contact is None or contact.reachable:
            return
        match = _CODE.match(contact.unreachable_reason or "")
        if match and int(match.group(1)) in CURED_BY_INTERACTION:
            await Contact.filter(id=contact.id).update(reachable=True, unreachable_reason=None)
            log.info("zalo %s interacted again: reachable", user_id)

    # --- outbound --------------------------------------------------------------------------
    def render(
        self, messages: Sequence[OutboundMessage], *, user_id: str, reply_to: str | None
    ) -> list[OutboundRequest]:
        return self.renderer.render(messages, user_id=user_id, reply_to=reply_to)

    async def deliver(self, row: OutboxMessage) -> str | None:
        return await delivery.deliver(self.client, self.kv, row)

    async def deliver_sandbox(self, row: OutboxMessage) -> str:
        return await delivery.deliver_sandbox(self.kv, row)

    async def get_profile(self, user_id: str) -> Profile:
        return await profiles.get_profile(
            self.client, self.account_id, user_id, sandbox=self.sandbox
        )


def _is_interaction(event: WebhookEvent) -> bool:
    """What Zalo counts as the user interacting (opens the 7-day window)."""
    if isinstance(event, Follow):
        return event.event_name == "follow"
    return isinstance(event, UserMessage | SubmitInfo | ClickChatNow)


def _banner_name() -> str:
    digest = hashlib.sha256(BANNER.read_bytes()).hexdigest()[:12] if BANNER.is_file() else "x"
    return f"zalo-banner-{digest}.png"
