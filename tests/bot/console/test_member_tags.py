"""The member page's tags over real HTTP: added and removed through the same service as the
admin API's tags routes (normalised, once each), audited with before/after; the page shows
the source, the segments and the journeys the member is in; bad input is a 422 page; the
member search finds a tag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.journeys.models import JourneyEnrolment
from loyalty.models import AuditEntry, Member
from loyalty.tags import tags_of
from tests.bot.console.conftest import Console
from tests.bot.console.test_segments import order, refresh


async def test_tags_added_removed_and_audited(console: Console) -> None:
    code = await order(console, "0912000111", "T-1")
    member = await Member.get(member_code=code)
    await JourneyEnrolment.create(
        journey_id="win-back-7d",
        member_id=member.id,
        state="active",
        step_id="send-1",
        entered_at=datetime.now(UTC),
        convert_until=datetime.now(UTC) + timedelta(days=7),
    )
    await refresh(console)
    await console.as_role("manager")
    path = f"/admin/members/{code}"
    resp = await console.post(f"{path}/tags", {"tags": "VIP;  Khách  Sỉ, vip", "action": "add"})
    assert (resp.status, resp.headers["Location"]) == (303, f"{path}?done=tags")
    assert "Đã cập nhật nhãn" in await (await console.get(f"{path}?done=tags")).text()
    assert await tags_of(member.id) == ["khách sỉ", "vip"]
    html = await (await console.get(path)).text()
    assert '<code class="tag">vip</code>' in html and "pos" in html.split('id="member-source"')[1]
    assert 'href="/admin/campaigns/segments/has_phone"' in html
    assert 'href="/admin/campaigns/journeys/win-back-7d"' in html and "đang chạy" in html
    resp = await console.post(f"{path}/tags", {"tags": "vip, không có", "action": "remove"})
    assert resp.status == 303
    assert await tags_of(member.id) == ["khách sỉ"]
    entries = await AuditEntry.filter(action="POST /admin/members/{code}/tags").order_by("id")
    assert [e.detail["after"] for e in entries] == [["khách sỉ", "vip"], ["khách sỉ"]]  # type: ignore[index]
    assert entries[1].detail["before"] == ["khách sỉ", "vip"]  # type: ignore[index]
    bad = await console.post(f"{path}/tags", {"tags": " , ;", "action": "add"})
    assert bad.status == 422 and "Nhập ít nhất một nhãn" in await bad.text()
    too_long = await console.post(f"{path}/tags", {"tags": "x" * 65, "action": "add"})
    assert too_long.status == 422
    assert await tags_of(member.id) == ["khách sỉ"]
    found = await (await console.get("/admin/members?q=Kh%C3%A1ch%20S%E1%BB%89")).text()
    assert f"/admin/members/{code}" in found  # the search finds members by a tag, too
    none = await (await console.get("/admin/members?q=vip")).text()
    assert f"/admin/members/{code}" not in none
