"""Broadcast tests: the whole app at both fakes, members made directly, the scheduler driven
by hand with an injected clock (the app's own tick is pushed out of the way)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.content.outreach import Outreach
from bot.content.schema import Content
from bot.models import Contact
from bot.outreach.broadcasts import BroadcastSender
from bot.outreach.scheduler import Scheduler
from bot.settings import Settings
from loyalty import consent, members
from loyalty.models import Member
from tests.bot.handlers import conftest as handlers_conftest
from tests.bot.handlers.conftest import Bot, _start
from tests.fakes.graph_api import FakeGraph
from tests.fakes.zalo_api import FakeZalo

# The handlers' fixtures (both fakes, settings pointing at them), shared here.
bot_settings = handlers_conftest.bot_settings
zalo = handlers_conftest.zalo
fb = handlers_conftest.fb

ADMIN_KEY = "k" * 32
HEADERS = {"X-Api-Key": ADMIN_KEY}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def quiet_around(now: datetime, *, inside: bool) -> str:
    """Quiet hours (Vietnam time) that `now` is inside of, or just outside of."""
    vn = now + timedelta(hours=7)
    start = vn - timedelta(hours=1) if inside else vn + timedelta(hours=1)
    end = start + timedelta(hours=2)
    return f"{start:%H:%M}-{end:%H:%M}"


@pytest.fixture
def no_reminder_journey(content_path: Path) -> None:
    """The demo content's `voucher-reminder` journey taken out: the built-in notice speaks."""
    text = content_path.read_text(encoding="utf-8")
    start = text.index("  - id: voucher-reminder\n")
    content_path.write_text(text[:start] + text[text.index("\n\n", start) + 1 :])


@pytest.fixture
def no_quiet_hours(content_path: Path) -> None:
    """No quiet hours in the file (the routes read the real time); tests that want them
    inject them into their sender with a clock."""
    text = content_path.read_text(encoding="utf-8")
    text = text.replace('quiet_hours: "21:00-08:00"', 'quiet_hours: ""')
    text = text.replace("  templates: {}", ZNS_TEMPLATES, 1)  # zns: comes first
    text = text.replace("  templates: {}", UTILITY_TEMPLATES, 1)  # then messenger_utility:
    content_path.write_text(text)


ZNS_TEMPLATES = """  templates:
    points_earned:
      {template_id: "tpl-points", tag: 1, by_uid: true,
       params: {points: "{points}", balance: "{balance}"}}
    voucher_expiring:
      {template_id: "tpl-expiring", tag: 1,
       params: {code: "{voucher_code}", until: "{expires_at}"}}
    sale: {template_id: "tpl-sale", tag: 3, by_uid: true, params: {name: "{name}"}}"""

UTILITY_TEMPLATES = """  templates:
    points_earned:
      {name: points_update_vi, params: ["{name}", "{points}", "{balance}"]}
    tier_changed: {name: tier_update_vi, language: vi, params: {tier: "{tier}"}}
    account: {name: account_update_vi, params: ["{name}"]}"""


@pytest.fixture
async def app(
    aiohttp_client: Any,
    clean_db: str,
    bot_settings: Callable[..., Settings],
    zalo: FakeZalo,
    fb: FakeGraph,
    no_quiet_hours: None,
) -> AsyncIterator[Bot]:
    settings = bot_settings(ADMIN_API_KEY=ADMIN_KEY, SCHEDULER_TICK_SECONDS=3600)
    async for value in _start(aiohttp_client, settings, zalo, fb):
        yield value


def sender_for(
    bot: Bot, clock: Clock, *, worker: str = "w1", **outreach: Any
) -> tuple[BroadcastSender, Scheduler]:
    """A sender on the app's channels with `clock` and the content's outreach overridden."""
    base = bot.runtime.content.current
    rules = base.outreach.model_dump() | {"quiet_hours": ""} | outreach
    content: Content = base.model_copy(update={"outreach": Outreach(**rules)})
    sender = BroadcastSender(
        channels=bot.runtime.channels,
        content=lambda: content,
        clock=clock,
        rates={"zalo": 1000.0, "messenger": 1000.0},
        batch=7,
        worker=worker,
    )
    queue: Any = Jobs()  # the test runs the send jobs itself, with its clock
    return sender, Scheduler(sender=sender, queue=queue, clock=clock)


class Jobs:
    """Records what the scheduler queues."""

    def __init__(self) -> None:
        self.queued: list[tuple[str, tuple[Any, ...], str | None]] = []

    async def enqueue(
        self, name: str, *args: Any, job_id: str | None = None, defer: float = 0
    ) -> bool:
        self.queued.append((name, args, job_id))
        return True


async def fb_member(
    bot: Bot, psid: str, *, name: str = "Lan", opted_in: bool = True, points: int = 0
) -> Member:
    """A Messenger member who wrote just now (window open) and, by default, opted in."""
    bot.fb.add_user(psid, name)
    member = await members.get_or_create_by_identity("messenger", psid, name=name)
    await Contact.create(
        channel="messenger",
        account_id=bot.fb.page_id,
        user_id=psid,
        member_id=member.id,
        last_inbound_at=datetime.now(UTC),
    )
    if points:
        await Member.filter(id=member.id).update(points_balance=points, points_earned=points)
    if opted_in:
        await consent.record_consent(
            member, "marketing", channel="messenger", method="chat_word", text="nhận tin"
        )
    return member
