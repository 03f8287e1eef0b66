"""Campaigns → Broadcasts over real HTTP: the live preview through the channels' renderers,
the dry run's counts, create (scheduled, and a double-submitted form creating one), the
progress page, cancel with its confirmation, validation, CSRF and the audit entries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.appkeys import CHANNELS
from bot.models import Broadcast, Contact
from loyalty import consent, members
from loyalty.models import AuditEntry, Member
from loyalty.segments.refresh import refresh_all
from tests.bot.console.conftest import Console

NEW = "/admin/campaigns/broadcasts/new"
PREVIEW = "/admin/campaigns/broadcasts/preview"
VN = timedelta(hours=7)


async def fb_member(console: Console, psid: str, name: str, *, opted_in: bool = True) -> Member:
    """A Messenger member who wrote just now (window open)."""
    page_id = console.client.server.app[CHANNELS]["messenger"].account_id
    member = await members.get_or_create_by_identity("messenger", psid, name=name)
    await Contact.create(
        channel="messenger",
        account_id=page_id,
        user_id=psid,
        member_id=member.id,
        last_inbound_at=datetime.now(UTC),
    )
    if opted_in:
        await consent.record_consent(
            member, "marketing", channel="messenger", method="chat_word", text="nhận tin"
        )
    return member


async def three_members(console: Console) -> None:
    await fb_member(console, "p1", "Lan")
    await fb_member(console, "p2", "Hoa")
    await members.get_or_create_by_phone("0912345678", name="Minh")  # no channel to reach
    from bot.appkeys import CONTENT

    await refresh_all(console.client.server.app[CONTENT].current.segment_spec())


def form(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Cập nhật giờ mở cửa",
        "segment": "all",
        "purpose": "update",
        "text": "Chào {name}, bạn có {points} điểm!",
        "image": "",
        "send_at": "",
        "idem": "form-token-0001",
        **extra,
    }


async def test_preview_renders_through_both_channels(console: Console) -> None:
    await three_members(console)
    await console.as_role("manager")
    page = await console.get(NEW + "?segment=has_phone")
    html = await page.text()
    assert page.status == 200 and '<option value="has_phone" selected>' in html
    assert "Điền tên và nội dung để xem trước." in html
    resp = await console.post(PREVIEW, form())
    frag = await resp.text()
    assert resp.status == 200
    for channel in ("zalo", "messenger"):
        box = frag.split(f'id="preview-{channel}"')[1].split("</section>")[0]
        assert '<div class="bubble">Chào Lan, bạn có 0 điểm!</div>' in box, channel
    assert "thành viên" in frag and "<b>Lan</b>" in frag  # the segment's first member
    with_image = await (
        await console.post(PREVIEW, form(image="https://cdn.shop.vn/banner.png"))
    ).text()
    zalo = with_image.split('id="preview-zalo"')[1].split("</section>")[0]
    fb = with_image.split('id="preview-messenger"')[1].split("</section>")[0]
    # As the sender sends it: the image (Zalo's media template), then the text.
    for box in (zalo, fb):
        image = box.index('src="https://cdn.shop.vn/banner.png"')
        assert image < box.index('<div class="bubble">Chào Lan, bạn có 0 điểm!</div>')
    bad = await (await console.post(PREVIEW, form(text="Chào {nme}"))).text()
    assert 'id="preview-error"' in bad and "chỗ điền không hợp lệ" in bad
    wrong_image = await (await console.post(PREVIEW, form(image="ftp://x"))).text()
    assert "Ảnh phải là một liên kết" in wrong_image


async def test_dry_run_then_schedule_then_cancel(console: Console) -> None:
    await three_members(console)
    await console.as_role("manager")
    dry = await console.post(NEW, form(action="dry_run"))
    html = await dry.text()
    assert dry.status == 200, html

    def num(element: str) -> str:
        found = re.search(rf'id="{element}">([^<]*)<', html)
        assert found, element
        return found.group(1)

    assert (num("dry-audience"), num("dry-send")) == ("3", "2")
    assert '<td>Messenger</td><td class="num">2</td>' in html
    assert 'data-reason="no_channel"><td>không kênh nào gửi được lúc này</td>' in html
    assert await Broadcast.all().count() == 0  # a dry run writes nothing

    at = (datetime.now(UTC) + VN + timedelta(days=2)).replace(second=0, microsecond=0)
    local = at.strftime("%Y-%m-%dT%H:%M")
    first = await console.post(NEW, form(action="create", send_at=local))
    again = await console.post(NEW, form(action="create", send_at=local))  # a double click
    assert first.status == again.status == 303, await first.text()
    assert first.headers["Location"] == again.headers["Location"]
    row = await Broadcast.get()
    assert first.headers["Location"] == f"/admin/campaigns/broadcasts/{row.id}"
    assert row.status == "scheduled" and row.purpose == "update" and row.segment == "all"
    assert row.send_at == (at - VN).replace(tzinfo=UTC)  # the form's time is Vietnam time
    assert row.message["text"] == "Chào {name}, bạn có {points} điểm!"
    entries = await AuditEntry.filter(action="POST /admin/campaigns/broadcasts").order_by("id")
    assert [e.detail["created"] for e in entries] == [True, False]  # type: ignore[index]
    assert entries[0].target == f"broadcast={row.id}" and entries[0].source == "console"

    progress = await (await console.get(f"/admin/campaigns/broadcasts/{row.id}")).text()
    assert 'data-code="scheduled">Đã hẹn giờ<' in progress and 'data-live="yes"' in progress
    assert 'id="st-audience">3<' in progress
    assert f'data-api="/api/v1/admin/broadcasts/{row.id}"' in progress
    api = await console.api("GET", f"/api/v1/admin/broadcasts/{row.id}")  # what the page polls
    assert api.status == 200 and (await api.json())["status"] == "scheduled"
    listing = await (await console.get("/admin/campaigns/broadcasts")).text()
    assert f'data-broadcast="{row.id}"' in listing and "Cập nhật giờ mở cửa" in listing

    confirm = await console.get(f"/admin/campaigns/broadcasts/{row.id}/cancel")
    assert confirm.status == 200 and 'id="cancel-yes"' in await confirm.text()
    refused = await console.post(f"/admin/campaigns/broadcasts/{row.id}/cancel", csrf=False)
    assert refused.status == 403
    assert (await Broadcast.get(id=row.id)).status == "scheduled"
    done = await console.post(f"/admin/campaigns/broadcasts/{row.id}/cancel")
    assert done.status == 303
    assert done.headers["Location"] == f"/admin/campaigns/broadcasts/{row.id}?cancelled=1"
    row = await Broadcast.get(id=row.id)
    assert row.status == "cancelled"
    entry = await AuditEntry.get(action="POST /admin/campaigns/broadcasts/{id}/cancel")
    assert entry.detail == {"before": "scheduled", "after": "cancelled", "sent": 0}
    shown = await (await console.get(done.headers["Location"])).text()
    assert 'id="broadcast-cancelled"' in shown and 'id="cancel-link"' not in shown
    twice = await console.post(f"/admin/campaigns/broadcasts/{row.id}/cancel")
    assert twice.status == 409 and "không còn gì để hủy" in await twice.text()


async def test_bad_forms_are_refused_with_their_reason(console: Console) -> None:
    await three_members(console)
    await console.as_role("owner")
    cases = {
        "Hãy đặt tên cho đợt gửi": form(name=""),
        "Hãy viết nội dung tin": form(text=""),
        "Ảnh phải là một liên kết": form(image="javascript:alert(1)"),
        "Thời điểm gửi không hợp lệ": form(send_at="ngày mai"),
        "Phân khúc này không có.": form(segment="vip"),
        "chỗ điền không hợp lệ": form(text="Chào {ten}"),
        "Mục đích phải là khuyến mãi hoặc cập nhật.": form(purpose="reply"),
    }
    for message, data in cases.items():
        resp = await console.post(NEW, {**data, "action": "create"})
        assert resp.status == 422, message
        html = await resp.text()
        assert message in html, message
        assert 'value="Cập nhật giờ mở cửa"' in html or data["name"] == ""  # kept
    assert await Broadcast.all().count() == 0
    for path in (NEW, PREVIEW):
        resp = await console.post(path, {**form(), "action": "create"}, csrf=False)
        assert resp.status == 403 and "Phiên biểu mẫu không hợp lệ" in await resp.text()
    assert await Broadcast.all().count() == 0
    assert (await console.get("/admin/campaigns/broadcasts/999")).status == 404
    assert (await console.get("/admin/campaigns/broadcasts/abc/cancel")).status == 404


async def test_dashboard_shows_running_broadcasts(console: Console) -> None:
    await three_members(console)
    await console.as_role("manager")
    assert 'id="no-running"' in await (await console.get("/admin")).text()
    later = (datetime.now(UTC) + VN + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    resp = await console.post(NEW, form(action="create", send_at=later, name="Tin hẹn giờ"))
    assert resp.status == 303
    row = await Broadcast.get()
    html = await (await console.get("/admin")).text()
    line = html.split(f'data-broadcast="{row.id}"')[1].split("</tr>")[0]
    assert "Tin hẹn giờ" in line and "Đã hẹn giờ" in line and "0%" in line
    await console.post(f"/admin/campaigns/broadcasts/{row.id}/cancel")
    assert 'id="no-running"' in await (await console.get("/admin")).text()
