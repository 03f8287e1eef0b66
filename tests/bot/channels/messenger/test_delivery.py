"""Outbound through the pipeline: the 24-hour window, Graph errors, retries, reachability."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.messages import OutboundMessage, Text
from bot.models import Contact, OutboxMessage, SkippedSend

from .conftest import MessengerApp, wait_for

DAY = 24 * 3600.0


async def contact(mapp: MessengerApp, psid: str, *, hours_ago: float | None) -> Contact:
    last = None if hours_ago is None else datetime.now(UTC) - timedelta(hours=hours_ago)
    row, _ = await Contact.get_or_create(
        channel="messenger", account_id=mapp.fb.page_id, user_id=psid
    )
    await Contact.filter(id=row.id).update(last_inbound_at=last)
    return row


async def queue(mapp: MessengerApp, psid: str, *messages: OutboundMessage) -> list[int]:
    return await mapp.runtime.outbox.queue_messages("messenger", psid, messages)


async def finished(row_id: int) -> OutboxMessage | None:
    row = await OutboxMessage.get(id=row_id)
    return row if row.status != "pending" else None


async def attempted(row_id: int, times: int) -> bool:
    return (await OutboxMessage.get(id=row_id)).attempts >= times


def send_calls(mapp: MessengerApp) -> int:
    return sum(1 for r in mapp.fb.requests if r.path.endswith("/me/messages"))


async def test_out_of_window_refused_by_graph_is_not_retried_and_recorded(
    mapp: MessengerApp,
) -> None:
    # Our record says the window is open; Graph knows better (e.g. a missed webhook).
    mapp.fb.add_user("psid1", last_inbound=time.time() - 2 * DAY)
    await contact(mapp, "psid1", hours_ago=1)
    (row_id,) = await queue(mapp, "psid1", Text(text="Cảm ơn bạn!"))
    row = await wait_for(lambda: finished(row_id), what="the send to settle")
    assert row.status == "failed"
    assert "2018278" in (row.last_error or "")
    skipped = await SkippedSend.get(outbox_id=row_id)
    assert "24-hour window" in skipped.reason
    assert send_calls(mapp) == 1
    assert mapp.fb.sent == []


async def test_promotional_message_outside_the_window_is_never_sent(mapp: MessengerApp) -> None:
    mapp.fb.add_user("psid1")  # the fake would accept it: our own rule must stop it
    await contact(mapp, "psid1", hours_ago=30)
    (row_id,) = await queue(mapp, "psid1", Text(text="Giảm 50% hôm nay!", promotional=True))
    row = await wait_for(lambda: finished(row_id), what="the send to settle")
    assert row.status == "failed"
    skipped = await SkippedSend.get(outbox_id=row_id)
    assert "promotional" in skipped.reason
    assert mapp.fb.requests == []


async def test_untagged_update_outside_the_window_is_skipped_tagged_one_is_sent(
    mapp: MessengerApp,
) -> None:
    mapp.fb.add_user("psid1", last_inbound=time.time() - 3 * DAY)
    await contact(mapp, "psid1", hours_ago=72)
    plain, tagged = await queue(
        mapp,
        "psid1",
        Text(text="Bạn còn 120 điểm."),
        Text(
            text="Đơn hàng #1234 đã được tích 50 điểm.",
            channel_data={"messenger": {"tag": "POST_PURCHASE_UPDATE"}},
        ),
    )
    await wait_for(lambda: finished(tagged), what="the tagged send")
    assert (await OutboxMessage.get(id=plain)).status == "failed"
    assert "no allowed tag" in (await SkippedSend.get(outbox_id=plain)).reason
    assert (await OutboxMessage.get(id=tagged)).status == "sent"
    (sent,) = mapp.fb.sent
    assert (sent.body["messaging_type"], sent.body["tag"]) == (
        "MESSAGE_TAG",
        "POST_PURCHASE_UPDATE",
    )


async def test_rate_limit_burst_is_delivered_after_backoff(mapp_both: MessengerApp) -> None:
    mapp_both.fb.add_user("psid1")
    await contact(mapp_both, "psid1", hours_ago=0)
    mapp_both.fb.fail_next(613, times=2, path_contains="/me/messages")
    (row_id,) = await queue(mapp_both, "psid1", Text(text="Chúc mừng bạn trúng thưởng!"))
    # One bounded wait per backoff step: the second step waits up to twice the first.
    await wait_for(lambda: attempted(row_id, 2), what="the second try")
    row = await wait_for(lambda: finished(row_id), what="delivery after backoff")
    assert row.status == "sent"
    assert row.attempts == 3
    assert mapp_both.fb.texts("psid1") == ["Chúc mừng bạn trúng thưởng!"]
    assert row.platform_message_id == mapp_both.fb.sent[0].message_id


async def test_nothing_is_lost_while_graph_is_down(mapp_both: MessengerApp) -> None:
    fb = mapp_both.fb
    fb.add_user("psid1")
    await contact(mapp_both, "psid1", hours_ago=0)
    fb.http_status_next(500, times=4, path_contains="/me/messages")  # two tries, two in-call each
    first, second = await queue(mapp_both, "psid1", Text(text="một"), Text(text="hai"))
    await wait_for(lambda: attempted(first, 2), what="the second try")
    await wait_for(lambda: finished(second), what="both delivered")
    assert (await OutboxMessage.get(id=first)).status == "sent"
    assert fb.texts("psid1") == ["một", "hai"]


async def test_unavailable_person_is_marked_unreachable(mapp: MessengerApp) -> None:
    mapp.fb.add_user("psid1", blocked=True)
    await contact(mapp, "psid1", hours_ago=1)
    (first,) = await queue(mapp, "psid1", Text(text="Xin chào"))
    await wait_for(lambda: finished(first), what="the refused send")
    person = await Contact.get(channel="messenger", user_id="psid1")
    assert not person.reachable
    assert "551" in (person.unreachable_reason or "")
    (second,) = await queue(mapp, "psid1", Text(text="Còn đó không?"))
    row = await wait_for(lambda: finished(second), what="the skipped send")
    assert row.status == "skipped"
    assert send_calls(mapp) == 1


async def test_revoked_token_raises_an_alert_and_is_not_retried(
    mapp: MessengerApp, caplog: pytest.LogCaptureFixture
) -> None:
    mapp.fb.add_user("psid1")
    await contact(mapp, "psid1", hours_ago=0)
    mapp.fb.revoke_token(mapp.fb.page_token)
    with caplog.at_level(logging.ERROR, logger="bot.channels.messenger"):
        (row_id,) = await queue(mapp, "psid1", Text(text="Xin chào"))
        row = await wait_for(lambda: finished(row_id), what="the refused send")
    assert row.status == "failed" and "190" in (row.last_error or "")
    assert any("ALERT" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert send_calls(mapp) == 1


async def test_profile_through_the_channel(mapp: MessengerApp) -> None:
    mapp.fb.add_user("psid1", "Lan", "Nguyễn")
    mapp.fb.add_user("psid2", "Hoa", profile_access=False)
    channel = mapp.runtime.channels["messenger"]
    assert (await channel.get_profile("psid1")).name == "Lan"
    assert (await channel.get_profile("psid2")).name is None
