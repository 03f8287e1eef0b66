"""Webhook event builders: Meta's envelope shapes (messenger.md §1) for one Page.

Ids (`mid`) are unique, timestamps are ms and can be switched to strings, and `encode` escapes
non-ASCII (`ensure_ascii=True`) the way Meta's signed bodies do.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Callable
from typing import Any

Envelope = dict[str, Any]
Item = dict[str, Any]


def new_mid() -> str:
    """A unique message id in Meta's `m_…` shape."""
    return "m_" + secrets.token_urlsafe(24)


class EventBuilder:
    """Builds `messaging` items, entries and envelopes addressed to `page_id`."""

    page_id: str
    app_id: str
    clock: Callable[[], float]

    # New docs show every property as a string ("timestamp": "1458692752478"), older ones as
    # ints; set True to make the receiver prove it parses both.
    string_timestamps: bool = False

    def _stamp(self, ms: int | None = None) -> int | str:
        value = int(self.clock() * 1000) if ms is None else ms
        return str(value) if self.string_timestamps else value

    def item(
        self, psid: str, key: str, value: Any, *, timestamp: int | None = None, echo: bool = False
    ) -> Item:
        """One `messaging` object; echoes go from the Page to the person."""
        user, page = {"id": psid}, {"id": self.page_id}
        return {
            "sender": page if echo else user,
            "recipient": user if echo else page,
            "timestamp": self._stamp(timestamp),
            key: value,
        }

    def message(
        self,
        psid: str,
        text: str | None = None,
        *,
        quick_reply: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        reply_to: str | None = None,
        mid: str | None = None,
        timestamp: int | None = None,
    ) -> Item:
        if text is None and not attachments:
            raise ValueError("a message event needs text or attachments")
        body: dict[str, Any] = {"mid": mid or new_mid()}
        if text is not None:
            body["text"] = text
        if quick_reply is not None:
            body["quick_reply"] = {"payload": quick_reply}
        if attachments:
            body["attachments"] = attachments
        if reply_to is not None:
            body["reply_to"] = {"mid": reply_to}
        return self.item(psid, "message", body, timestamp=timestamp)

    def echo(
        self,
        psid: str,
        text: str | None = None,
        *,
        attachments: list[dict[str, Any]] | None = None,
        metadata: str | None = None,
        app_id: str | None = None,
        mid: str | None = None,
        timestamp: int | None = None,
    ) -> Item:
        """A copy of something the Page sent (by our app unless `app_id` says otherwise)."""
        app = app_id or self.app_id
        numeric = app.isdigit() and not self.string_timestamps  # Meta sends it as a number
        body: dict[str, Any] = {"is_echo": True, "app_id": int(app) if numeric else app}
        body["mid"] = mid or new_mid()
        if text is not None:
            body["text"] = text
        if attachments:
            body["attachments"] = attachments
        if metadata is not None:
            body["metadata"] = metadata
        return self.item(psid, "message", body, timestamp=timestamp, echo=True)

    @staticmethod
    def referral_data(
        ref: str, *, source: str = "SHORTLINK", kind: str = "OPEN_THREAD", **extra: Any
    ) -> dict[str, Any]:
        return {"ref": ref, "source": source, "type": kind, **extra}

    def postback(
        self,
        psid: str,
        payload: str,
        *,
        title: str = "",
        referral: str | dict[str, Any] | None = None,
        mid: str | None = None,
        timestamp: int | None = None,
    ) -> Item:
        """A button/menu/Get Started tap; `referral` rides along on a thread's first tap."""
        body: dict[str, Any] = {"mid": mid or new_mid(), "title": title, "payload": payload}
        if referral is not None:
            body["referral"] = (
                self.referral_data(referral) if isinstance(referral, str) else referral
            )
        return self.item(psid, "postback", body, timestamp=timestamp)

    def referral(self, psid: str, ref: str, *, timestamp: int | None = None, **kw: Any) -> Item:
        """An m.me/ad/QR entry into an existing thread (`source`, `kind`, `ad_id`, …)."""
        return self.item(psid, "referral", self.referral_data(ref, **kw), timestamp=timestamp)

    def optin(
        self,
        psid: str,
        *,
        payload: str = "",
        kind: str = "notification_messages",
        token: str | None = None,
        timestamp: int | None = None,
        **extra: Any,
    ) -> Item:
        body: dict[str, Any] = {"type": kind, "payload": payload, **extra}
        if kind == "notification_messages":
            body.setdefault("notification_messages_token", token or secrets.token_hex(16))
            body.setdefault("user_token_status", "NOT_REFRESHED")
        return self.item(psid, "optin", body, timestamp=timestamp)

    def reaction(
        self,
        psid: str,
        mid: str,
        reaction: str = "love",
        *,
        emoji: str = "\u2764",
        action: str = "react",
        timestamp: int | None = None,
    ) -> Item:
        body = {"mid": mid, "action": action, "reaction": reaction, "emoji": emoji}
        return self.item(psid, "reaction", body, timestamp=timestamp)

    def delivery(self, psid: str, mids: list[str], *, watermark: int | None = None) -> Item:
        return self.item(psid, "delivery", {"mids": mids, "watermark": self._stamp(watermark)})

    def read(self, psid: str, *, watermark: int | None = None) -> Item:
        return self.item(psid, "read", {"watermark": self._stamp(watermark)})

    def message_edit(self, psid: str, mid: str, text: str, *, num_edit: int = 1) -> Item:
        return self.item(psid, "message_edit", {"mid": mid, "text": text, "num_edit": num_edit})

    def entry(
        self, *items: Item, standby: bool = False, time: int | None = None
    ) -> dict[str, Any]:
        """One `entry`; `standby` is what a non-owner app gets (postback payloads stripped)."""
        items_list = [copy.deepcopy(i) for i in items]
        if standby:
            for i in items_list:
                if "postback" in i:
                    i["postback"].pop("payload", None)
        key = "standby" if standby else "messaging"
        return {"id": self.page_id, "time": self._stamp(time), key: items_list}

    def envelope(self, *parts: Item, standby: bool = False, one_entry: bool = False) -> Envelope:
        """Items (each in its own entry, like Meta's batches, or all in one) and/or entries."""
        entries: list[dict[str, Any]] = []
        pending: list[Item] = []

        def flush() -> None:
            if pending and one_entry:
                entries.append(self.entry(*pending, standby=standby))
            else:
                entries.extend(self.entry(i, standby=standby) for i in pending)
            pending.clear()

        for part in parts:
            if "sender" in part:
                pending.append(part)
            else:
                flush()
                entries.append(part)
        flush()
        return {"object": "page", "entry": entries}

    @staticmethod
    def encode(envelope: Envelope) -> bytes:
        return json.dumps(envelope, ensure_ascii=True, separators=(",", ":")).encode("ascii")
