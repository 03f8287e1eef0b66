"""Names from the User Profile API: cached a day on the Contact, never a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.messenger.api_server import GraphAPIServer
from bot.channels.messenger.client import GraphClient, RetryPolicy
from bot.channels.messenger.profiles import fetch_profile
from bot.channels.messenger.session import AiohttpGraphSession
from bot.models import Contact
from tests.fakes.graph_api import FakeGraph


@pytest.fixture
async def client(fb: FakeGraph) -> AsyncIterator[GraphClient]:
    c = GraphClient(
        AiohttpGraphSession(GraphAPIServer(fb.base_url)),
        fb.page_token,
        app_secret=fb.app_secret,
        retry=RetryPolicy(attempts=1),
    )
    yield c
    await c.close()


def profile_calls(fb: FakeGraph) -> int:
    return sum(1 for r in fb.requests if r.path.endswith("/psid1"))


async def test_name_is_fetched_once_a_day(db: str, fb: FakeGraph, client: GraphClient) -> None:
    fb.add_user("psid1", "Lan", "Nguyễn")
    now = datetime.now(UTC)
    profile = await fetch_profile(client, "page1", "psid1", now=now)
    assert profile.name == "Lan"
    assert profile.extra["full_name"] == "Lan Nguyễn"
    contact = await Contact.get(channel="messenger", account_id="page1", user_id="psid1")
    assert contact.display_name == "Lan"
    fb.users["psid1"].first_name = "Mai"
    assert (
        await fetch_profile(client, "page1", "psid1", now=now + timedelta(hours=23))
    ).name == "Lan"
    assert profile_calls(fb) == 1
    assert (
        await fetch_profile(client, "page1", "psid1", now=now + timedelta(hours=25))
    ).name == "Mai"
    assert profile_calls(fb) == 2


async def test_no_profile_access_means_no_name_and_is_cached(
    db: str, fb: FakeGraph, client: GraphClient
) -> None:
    fb.add_user("psid1", "Lan", profile_access=False)  # 2018218
    assert (await fetch_profile(client, "page1", "psid1")).name is None
    assert (await fetch_profile(client, "page1", "psid1")).name is None
    assert profile_calls(fb) == 1


@pytest.mark.parametrize(("code", "subcode"), [(10, None), (200, None), (100, None), (190, None)])
async def test_permission_and_other_refusals_mean_no_name(
    db: str, fb: FakeGraph, client: GraphClient, code: int, subcode: int | None
) -> None:
    fb.add_user("psid1", "Lan")
    fb.fail_next(code, subcode)
    assert (await fetch_profile(client, "page1", "psid1")).name is None


async def test_transient_failure_keeps_the_old_name_and_asks_again(
    db: str, fb: FakeGraph, client: GraphClient
) -> None:
    fb.add_user("psid1", "Lan")
    now = datetime.now(UTC)
    await fetch_profile(client, "page1", "psid1", now=now - timedelta(days=2))
    fb.http_status_next(500)
    assert (await fetch_profile(client, "page1", "psid1", now=now)).name == "Lan"
    assert (await fetch_profile(client, "page1", "psid1", now=now)).name == "Lan"
    assert profile_calls(fb) == 3
