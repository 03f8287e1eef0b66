"""Meta's side of the webhook: sign the raw bytes, post them (with redeliveries), verify.

Bodies are JSON with `ensure_ascii=True` (Meta signs an escaped-unicode payload), so a
receiver that re-serialises instead of hashing the raw bytes fails on Vietnamese text.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

from .events import Envelope, EventBuilder


@dataclass(frozen=True)
class Delivery:
    url: str
    raw: bytes
    status: int | None  # None = timed out or connection failed


class WebhookDriver(EventBuilder):
    """Signs and posts webhook envelopes for one Page."""

    app_secret: str
    verify_token: str

    def _init_driver(self) -> None:
        self.string_timestamps = False
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    def _inbound_seen(self, psid: str) -> None:
        """Hook: a properly signed user action was delivered (the fake reopens the window)."""

    # -- signing and delivery ----------------------------------------------------------------
    def sign(self, raw: bytes) -> str:
        """`X-Hub-Signature-256`: HMAC-SHA256 keyed by the App Secret over the raw body."""
        return "sha256=" + hmac.new(self.app_secret.encode(), raw, hashlib.sha256).hexdigest()

    def sign_sha1(self, raw: bytes) -> str:
        """Legacy `X-Hub-Signature`."""
        return "sha1=" + hmac.new(self.app_secret.encode(), raw, hashlib.sha1).hexdigest()

    def webhook_headers(
        self, raw: bytes, *, bad_signature: bool = False, no_signature: bool = False
    ) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        if not no_signature:
            signed = raw + b" " if bad_signature else raw  # well-formed but wrong value
            headers["X-Hub-Signature-256"] = self.sign(signed)
            headers["X-Hub-Signature"] = self.sign_sha1(signed)
        return headers

    def _note_inbound(self, raw: bytes) -> None:
        """Messages, postbacks and referrals open the 24 h window; echoes/reads do not."""
        try:
            envelope = json.loads(raw)
        except ValueError:
            return
        for entry in envelope.get("entry") or []:
            for item in (entry.get("messaging") or []) + (entry.get("standby") or []):
                psid = (item.get("sender") or {}).get("id")
                message = item.get("message") or {}
                acted = ("message" in item and not message.get("is_echo")) or (
                    "postback" in item or "referral" in item
                )
                if psid and acted:
                    self._inbound_seen(str(psid))

    async def deliver(
        self,
        url: str,
        envelope: Envelope | bytes,
        *,
        bad_signature: bool = False,
        no_signature: bool = False,
        times: int = 1,
        concurrently: bool = False,
        response_wait: float = 20.0,
    ) -> list[int]:
        """POST the same bytes `times` times (Meta's redeliveries); returns the statuses.

        `response_wait` is how long "Meta" waits for an answer (20 s old docs, 5 s new ones).
        """
        raw = envelope if isinstance(envelope, bytes) else self.encode(envelope)
        if not bad_signature and not no_signature:
            self._note_inbound(raw)
        headers = self.webhook_headers(raw, bad_signature=bad_signature, no_signature=no_signature)
        async with ClientSession(timeout=ClientTimeout(total=response_wait)) as session:

            async def one() -> int:
                async with session.post(url, data=raw, headers=headers) as resp:
                    await resp.read()
                self.deliveries.append(Delivery(url, raw, resp.status))
                return resp.status

            if concurrently:
                return list(await asyncio.gather(*(one() for _ in range(times))))
            return [await one() for _ in range(times)]

    async def deliver_with_retries(
        self,
        url: str,
        envelope: Envelope | bytes,
        *,
        attempts: int = 3,
        response_wait: float = 5.0,
        backoff: float = 0.0,
    ) -> list[int | None]:
        """Redeliver on non-200 or timeout, like Meta; None marks a timeout/connection error."""
        results: list[int | None] = []
        for attempt in range(attempts):
            try:
                (status,) = await self.deliver(url, envelope, response_wait=response_wait)
            except (TimeoutError, ClientError):
                raw = envelope if isinstance(envelope, bytes) else self.encode(envelope)
                self.deliveries.append(Delivery(url, raw, None))
                status = None
            results.append(status)
            if status == 200:
                break
            if backoff and attempt + 1 < attempts:
                await asyncio.sleep(backoff)
        return results

    async def verify(
        self,
        url: str,
        mode: str = "subscribe",
        token: str | None = None,
        challenge: str | None = None,
    ) -> tuple[int, str]:
        """The GET handshake; a correct receiver answers 200 with the challenge as the body."""
        params = {
            "hub.mode": mode,
            "hub.verify_token": self.verify_token if token is None else token,
            "hub.challenge": challenge or str(secrets.randbelow(10**9)),
        }
        async with ClientSession() as session, session.get(url, params=params) as resp:
            return resp.status, await resp.text()

    # -- background deliveries (echoes after sends) ----------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for webhooks the fake is posting on its own (echoes, delivery receipts)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
