"""A person's chats in their export and erasure: found through every identity, nobody
else's touched, and the whole erasure in one transaction."""

from __future__ import annotations

import pytest

from bot.models import Contact, InboxEvent, OutboxMessage, SkippedSend
from bot.personal_data import erase_person, export_person
from loyalty import consent, members
from loyalty.models import ConsentRecord, Member, MemberIdentity


async def chat(channel: str, user_id: str, text: str, **contact: object) -> Contact:
    row = await Contact.create(channel=channel, account_id="acc", user_id=user_id, **contact)
    await InboxEvent.create(
        channel=channel,
        account_id="acc",
        user_id=user_id,
        dedupe_key=f"{channel}:{user_id}",
        event_name="user_send_text",
        body={"text": text},
        status="done",
    )
    await OutboxMessage.create(
        channel=channel, account_id="acc", user_id=user_id, method="send", payload={"t": text}
    )
    await SkippedSend.create(channel=channel, user_id=user_id, reason="window")
    return row


async def test_export_and_erase_cover_every_chat_of_the_person(db: str) -> None:
    lan = await members.get_or_create_by_identity("zalo_oa", "z-lan", name="Lan")
    lan = await members.link_identity(lan, "zalo_app", "app-lan")
    lan = await members.link_identity(lan, "messenger", "psid-lan")
    lan = await members.link_phone(lan, "0912000777")
    await consent.record_consent(
        lan, "marketing", channel="zalo", method="chat_word", text="Đồng ý nhận tin"
    )
    await chat("zalo", "z-lan", "số mình 0912000777", display_name="Lan Nguyễn")
    await chat("zalo", "z-other-oa", "hi", user_id_by_app="app-lan")  # a second OA, same app id
    await chat("messenger", "psid-lan", "xin chào")
    await chat("messenger", "psid-other", "tôi là Minh", member_id=None)
    other = await members.get_or_create_by_identity("messenger", "psid-other", name="Minh")

    data = await export_person(lan)
    assert {(c["channel"], c["user_id"]) for c in data["contacts"]} == {
        ("zalo", "z-lan"),
        ("zalo", "z-other-oa"),
        ("messenger", "psid-lan"),
    }
    assert {m["body"]["text"] for m in data["messages_received"]} == {
        "số mình 0912000777",
        "hi",
        "xin chào",
    }
    assert len(data["messages_sent"]) == 3
    assert data["profile"]["phone"] == "84912000777"

    erasure = await erase_person(lan, recorded_by="key:abc")
    assert ("phone", "84912000777") in erasure.identities and not erasure.already
    assert await Contact.all().values_list("user_id", flat=True) == ["psid-other"]
    assert await InboxEvent.all().values_list("user_id", flat=True) == ["psid-other"]
    assert await OutboxMessage.all().values_list("user_id", flat=True) == ["psid-other"]
    assert await SkippedSend.all().values_list("user_id", flat=True) == ["psid-other"]
    assert await MemberIdentity.filter(member_id=lan.id).count() == 0
    assert await MemberIdentity.filter(member_id=other.id).count() == 1
    withdrawal = await ConsentRecord.filter(member_id=lan.id).order_by("-id").first()
    assert withdrawal is not None and withdrawal.method == "erasure"
    assert withdrawal.recorded_by == "key:abc" and not withdrawal.granted

    again = await erase_person(await Member.get(id=lan.id))
    assert again.already is True

    # The same Zalo user writing again is somebody new.
    back = await members.get_or_create_by_identity("zalo_oa", "z-lan")
    assert back.id != lan.id and back.name is None and back.points_balance == 0


async def test_an_erasure_that_fails_halfway_changes_nothing(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lan = await members.get_or_create_by_identity("zalo_oa", "z-lan", name="Lan")
    await chat("zalo", "z-lan", "hello")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("bot.personal_data.erase_member", broken)
    with pytest.raises(RuntimeError):
        await erase_person(lan)
    assert await Contact.all().count() == 1 and await InboxEvent.all().count() == 1
    assert (await Member.get(id=lan.id)).name == "Lan"
