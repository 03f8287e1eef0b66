"""What the fake Graph remembers: users and their 24 h windows, sends, requests, faults.

Kept free of HTTP so tests can arrange state and assert on it directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .errors import GraphError

DAY = 24 * 3600.0


@dataclass
class FakeUser:
    """A person who has a thread with the Page (PSIDs are Page-scoped)."""

    psid: str
    first_name: str = ""
    last_name: str = ""
    last_inbound: float | None = None  # epoch seconds of the person's last action; None = never
    blocked: bool = False  # blocked the Page or deactivated -> 551/1545041
    profile_access: bool = True  # False = phone-registered, profile API answers 2018218
    profile_pic: str | None = None
    locale: str | None = None
    timezone: float | None = None
    gender: str | None = None


@dataclass(frozen=True)
class Sent:
    """One accepted Send API call (a message or a sender action)."""

    psid: str | None  # None for user_ref / token recipients
    body: dict[str, Any]  # the decoded parameters, minus access_token/appsecret_proof
    page_id: str
    message_id: str | None
    at: float

    @property
    def text(self) -> str | None:
        message = self.body.get("message")
        return message.get("text") if isinstance(message, dict) else None

    @property
    def template(self) -> dict[str, Any] | None:
        """A utility template message's `template` (name, language, components)."""
        message = self.body.get("message")
        return message.get("template") if isinstance(message, dict) else None

    @property
    def attachment(self) -> dict[str, Any] | None:
        message = self.body.get("message")
        return message.get("attachment") if isinstance(message, dict) else None

    @property
    def sender_action(self) -> str | None:
        return self.body.get("sender_action")


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes  # empty for multipart uploads (aiohttp streams those)
    params: dict[str, Any] = field(default_factory=dict)
    status: int | None = None


@dataclass
class Attachment:
    attachment_id: str
    type: str
    created: float
    url: str | None = None
    filename: str | None = None
    size: int = 0
    content_type: str | None = None


@dataclass
class Fault:
    """A queued misbehaviour: an error (`code` set) or a delay, for the next matching calls."""

    times: int
    path_contains: str | None = None
    code: int | None = None
    subcode: int | None = None
    http_status: int = 400
    message: str | None = None
    delay: float = 0.0

    def matches(self, path: str) -> bool:
        return self.path_contains is None or self.path_contains in path

    def error(self) -> GraphError | None:
        if self.code is None:
            return None
        return GraphError(self.code, self.message, self.subcode, http_status=self.http_status)


@dataclass(frozen=True)
class UtilityTemplate:
    """An approved Page utility template: positional (`count`) or named (`names`) body
    parameters, in one language."""

    language: str = "vi"
    count: int = 0
    names: tuple[str, ...] = ()


@dataclass
class Call:
    """One parsed Graph request, handed to the handlers."""

    method: str
    version: str
    node: str
    edge: str | None
    params: dict[str, Any]
    files: dict[str, tuple[str, str | None, bytes]]  # name -> (filename, content type, data)
    page_id: str = ""
    token: str = ""


def _epoch(value: float | datetime | None) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else value


class GraphState:
    """Users, records and queued faults of one fake Graph API."""

    def _init_state(self, clock: Callable[[], float] | None) -> None:
        self.clock: Callable[[], float] = clock or time.time
        self.users: dict[str, FakeUser] = {}
        self.sent: list[Sent] = []
        self.requests: list[RecordedRequest] = []
        self.attachments: dict[str, Attachment] = {}
        self.profiles: dict[str, dict[str, Any]] = {}  # page id -> messenger_profile
        self.user_settings: dict[tuple[str, str], dict[str, Any]] = {}  # (page, psid) -> menu
        self.subscriptions: dict[str, list[str]] = {}  # page id -> subscribed_fields
        self.thread_control: list[tuple[str, dict[str, Any]]] = []  # (edge, params)
        self.faults: list[Fault] = []
        # the Page's approved utility templates: name -> (language, parameter names or count)
        self.utility_templates: dict[str, UtilityTemplate] = {}
        self.utility_permission = True  # False: the app lacks page_utility_messaging
        self.latency: float = 0.0  # seconds added to every request

    # -- users ---------------------------------------------------------------------------
    def add_user(
        self,
        psid: str,
        first_name: str = "",
        last_name: str = "",
        *,
        last_inbound: float | datetime | Literal["now"] | None = "now",
        blocked: bool = False,
        profile_access: bool = True,
        **profile: Any,
    ) -> FakeUser:
        """Register a person; `last_inbound` is epoch seconds or a datetime (None = never)."""
        when = self.clock() if isinstance(last_inbound, str) else _epoch(last_inbound)
        user = FakeUser(
            psid,
            first_name,
            last_name,
            last_inbound=when,
            blocked=blocked,
            profile_access=profile_access,
            **profile,
        )
        self.users[psid] = user
        return user

    def touch(self, psid: str, *, at: float | datetime | None = None) -> FakeUser:
        """The person acted (message, postback, ref link): reopen the window, creating them."""
        user = self.users.get(psid) or self.add_user(psid, last_inbound=None)
        user.last_inbound = self.clock() if at is None else _epoch(at)
        return user

    def add_utility_template(
        self, name: str, *, language: str = "vi", params: int | tuple[str, ...] = 0
    ) -> None:
        """Approve a utility template: `params` is a count (positional) or names (NAMED)."""
        if isinstance(params, int):
            self.utility_templates[name] = UtilityTemplate(language, count=params)
        else:
            self.utility_templates[name] = UtilityTemplate(language, names=tuple(params))

    # -- faults --------------------------------------------------------------------------
    def fail_next(
        self,
        code: int,
        subcode: int | None = None,
        times: int = 1,
        http_status: int = 400,
        path_contains: str | None = None,
        message: str | None = None,
    ) -> None:
        """The next `times` matching requests answer this Graph error instead."""
        self.faults.append(Fault(times, path_contains, code, subcode, http_status, message))

    def http_status_next(
        self,
        status: int,
        times: int = 1,
        *,
        code: int | None = None,
        path_contains: str | None = None,
    ) -> None:
        """The next requests answer `status` with a Graph body (code 2 for 5xx, else 1)."""
        if code is None:
            code = 2 if status >= 500 else 1
        self.fail_next(code, None, times, status, path_contains)

    def delay_next(self, seconds: float, times: int = 1, path_contains: str | None = None) -> None:
        """The next matching requests are answered `seconds` late (client timeout tests)."""
        self.faults.append(Fault(times, path_contains, delay=seconds))

    def take_faults(self, path: str) -> tuple[float, GraphError | None]:
        """Consume the first matching delay and the first matching error, if any."""
        delay, error = 0.0, None
        for kind in ("delay", "error"):
            for fault in self.faults:
                if fault.matches(path) and (fault.code is None) == (kind == "delay"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    if kind == "delay":
                        delay = fault.delay
                    else:
                        error = fault.error()
                    break
        return delay, error

    # -- assertions helpers ----------------------------------------------------------------
    def sent_to(self, psid: str) -> list[Sent]:
        return [s for s in self.sent if s.psid == psid]

    def texts(self, psid: str | None = None) -> list[str]:
        """Texts of accepted messages, in order (optionally for one person)."""
        return [
            s.text for s in self.sent if s.text is not None and (psid is None or s.psid == psid)
        ]

    def reset_records(self) -> None:
        self.sent.clear()
        self.requests.clear()
