"""The consent ledger: append-only, `marketing_opt_in` in step, merges keep the newest."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise import connections

from loyalty import consent, members
from loyalty.clock import utcnow
from loyalty.models import ConsentRecord, Member
from tests.loyalty.conftest import new_member

TEXT = "Tôi đồng ý nhận tin ưu đãi của Quán"


async def test_grant_and_withdraw_keep_the_flag_in_step(db: str) -> None:
    member = await new_member()
    assert (await consent.current(member))["marketing"].granted is False
    row = await consent.record_consent(
        member, "marketing", channel="zalo", method="chat_word", text=TEXT
    )
    assert row.text_version == consent.text_version(TEXT)
    assert (await Member.get(id=member.id)).marketing_opt_in is True
    await consent.withdraw(member, "marketing", channel="zalo", method="chat_word", text="dừng")
    assert (await Member.get(id=member.id)).marketing_opt_in is False
    state = (await consent.current(member))["marketing"]
    assert state.granted is False and state.method == "chat_word"
    assert [r.granted for r in await consent.history(member)] == [True, False]


async def test_bad_records_are_refused(db: str) -> None:
    member = await new_member()
    with pytest.raises(consent.InvalidConsent):
        await consent.record_consent(member, "ads", channel="zalo", method="chat_word", text=TEXT)
    with pytest.raises(consent.InvalidConsent):
        await consent.record_consent(
            member, "marketing", channel="fax", method="chat_word", text=TEXT
        )
    with pytest.raises(consent.InvalidConsent):
        await consent.record_consent(
            member, "marketing", channel="zalo", method="chat_word", text=" "
        )
    assert await ConsentRecord.all().count() == 0


async def test_rows_are_append_only(db: str) -> None:
    member = await new_member()
    row = await consent.record_consent(
        member, "marketing", channel="zalo", method="chat_word", text=TEXT
    )
    with pytest.raises(RuntimeError):
        await row.save()
    with pytest.raises(RuntimeError):
        await row.delete()
    with pytest.raises(Exception, match="append-only"):
        await connections.get("default").execute_query("UPDATE consent_record SET granted = FALSE")
    assert (await ConsentRecord.get(id=row.id)).granted is True


async def test_a_merge_keeps_the_newest_decision(db: str) -> None:
    older, newer = await new_member(1), await new_member(2)
    now = utcnow()
    await consent.record_consent(
        older, "marketing", channel="zalo", method="chat_word", text=TEXT, now=now
    )
    await consent.withdraw(
        newer,
        "marketing",
        channel="messenger",
        method="chat_word",
        text="stop",
        now=now + timedelta(minutes=1),
    )
    survivor = await members.link_identity(newer, "zalo_oa", "user-1")
    assert survivor.id == older.id
    assert (await Member.get(id=older.id)).marketing_opt_in is False  # the later "stop" wins
    assert len(await consent.history(survivor)) == 2

    third = await new_member(3)
    await consent.record_consent(
        third,
        "marketing",
        channel="zalo",
        method="chat_word",
        text=TEXT,
        now=now + timedelta(minutes=2),
    )
    survivor = await members.link_identity(third, "zalo_oa", "user-1")
    assert (await Member.get(id=survivor.id)).marketing_opt_in is True
    assert len(await consent.history(survivor)) == 3


async def test_concurrent_decisions_leave_the_flag_equal_to_the_newest_row(db: str) -> None:
    """Grants and withdrawals at once (chat word, Mini App, counter): each takes the member's
    lock, so the copy on the member row always matches the ledger's newest row."""
    member = await new_member()

    async def decide(n: int) -> None:
        me = await Member.get(id=member.id)
        if n % 2:
            await consent.record_consent(
                me, "marketing", channel="miniapp", method="miniapp_toggle", text=TEXT
            )
        else:
            await consent.withdraw(
                me, "marketing", channel="zalo", method="chat_word", text="dừng"
            )

    await asyncio.gather(*(decide(n) for n in range(20)))
    rows = await ConsentRecord.filter(member_id=member.id).order_by("-created_at", "-id")
    assert len(rows) == 20
    assert (await Member.get(id=member.id)).marketing_opt_in is rows[0].granted
    assert (await consent.current(member))["marketing"].granted is rows[0].granted
