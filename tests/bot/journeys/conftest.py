"""Journey tests: the whole app at both fakes (the outreach tests' fixtures), and an engine
on the app's outbox and channels with an injected clock, driven tick by tick."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import yaml

from bot.content.journeys import Journey
from bot.content.outreach import Outreach
from bot.content.schema import Content
from bot.journeys.runner import Checkpoint, Journeys
from bot.models import Contact
from loyalty import consent, members
from loyalty.models import Member
from tests.bot.handlers.conftest import Bot
from tests.bot.outreach import conftest as outreach_conftest
from tests.bot.outreach.conftest import Clock

app = outreach_conftest.app
bot_settings = outreach_conftest.bot_settings
zalo = outreach_conftest.zalo
fb = outreach_conftest.fb
no_quiet_hours = outreach_conftest.no_quiet_hours
HEADERS = outreach_conftest.HEADERS

__all__ = ["HEADERS", "Clock", "app", "bot_settings", "engine", "fb", "no_quiet_hours", "zalo"]


def journeys_from(text: str) -> list[Journey]:
    return [Journey.model_validate(j) for j in yaml.safe_load(text)]


class Holder:
    """The content an engine reads; a test may swap it (an edit of the file)."""

    def __init__(self, content: Content) -> None:
        self.content = content

    def __call__(self) -> Content:
        return self.content


def engine(
    bot: Bot,
    clock: Clock,
    *,
    journeys: Sequence[Journey] | None = None,
    worker: str = "w1",
    checkpoint: Checkpoint | None = None,
    batch: int = 200,
    **outreach: Any,
) -> tuple[Journeys, Holder]:
    """An engine on the app's channels with `clock`, the content's journeys (or `journeys`)
    and its outreach rules overridden (no quiet hours unless given; Zalo promotions may go
    in the free window)."""
    base = bot.runtime.content.current
    rules = (
        base.outreach.model_dump()
        | {"quiet_hours": "", "zalo_promotions_in_cs_window": True}
        | outreach
    )
    update: dict[str, Any] = {"outreach": Outreach(**rules)}
    if journeys is not None:
        update["journeys"] = list(journeys)
    holder = Holder(base.model_copy(update=update))
    runner = Journeys(
        outbox=bot.runtime.outbox,
        channels=bot.runtime.channels,
        content=holder,
        clock=clock,
        time_scan_seconds=0,
        worker=worker,
        checkpoint=checkpoint,
        batch=batch,
    )
    return runner, holder


async def messenger_member(
    bot: Bot, psid: str, *, name: str = "Lan", opted_in: bool = True, phone: str | None = None
) -> Member:
    """A Messenger member who wrote just now (window open), opted in by default."""
    bot.fb.add_user(psid, name)
    member = await members.get_or_create_by_identity("messenger", psid, name=name)
    await Contact.create(
        channel="messenger",
        account_id=bot.fb.page_id,
        user_id=psid,
        member_id=member.id,
        last_inbound_at=datetime.now(UTC),
    )
    if phone:
        member = await members.link_phone(member, phone)
    if opted_in:
        await consent.record_consent(
            member, "marketing", channel="messenger", method="chat_word", text="nhận tin"
        )
    return await Member.get(id=member.id)


async def chatted(at: datetime) -> None:
    """Every contact wrote at `at` (their free windows are open then)."""
    await Contact.all().update(last_inbound_at=at)
