"""Campaigns → Segments over real HTTP: counts and refresh time, a segment's members a page
at a time, the CSV download parsed back (BOM, Vietnamese headers), and the audit entry."""

from __future__ import annotations

import csv
import io

from bot.appkeys import CONTENT
from loyalty.models import AuditEntry, Member
from loyalty.segments.refresh import refresh_all
from tests.bot.console.conftest import ADMIN_KEY, Console


async def order(console: Console, phone: str, order_id: str, amount: int = 120_000) -> str:
    resp = await console.client.post(
        "/api/v1/admin/orders",
        json={"order_id": order_id, "amount": amount, "phone": phone},
        headers={"X-Api-Key": ADMIN_KEY},
    )
    assert resp.status in (200, 201), await resp.text()
    return str((await resp.json())["member_code"])


async def refresh(console: Console) -> None:
    content = console.client.server.app[CONTENT].current
    await refresh_all(content.segment_spec())


async def test_segments_list_members_and_csv(console: Console) -> None:
    codes = [await order(console, f"09123456{i:02d}", f"S-{i}") for i in range(3)]
    member = await Member.get(member_code=codes[0])
    member.name = "Nguyễn Thu Hà"
    await member.save(update_fields=["name"])
    await refresh(console)
    await console.as_role("manager")
    html = await (await console.get("/admin/campaigns/segments")).text()
    assert 'data-segment="all"' in html and "Tất cả thành viên" in html
    assert 'data-segment="has_phone"' in html
    row = html.split('data-segment="all"')[1].split("</tr>")[0]
    assert '<td class="num segment-count">3</td>' in row and "chưa làm mới" not in row
    page = await console.get("/admin/campaigns/segments/all")
    text = await page.text()
    assert page.status == 200 and 'id="segment-count">3<' in text
    assert all(f"/admin/members/{c}" in text for c in codes) and "Nguyễn Thu Hà" in text
    assert (await console.get("/admin/campaigns/segments/nope")).status == 404
    assert (await console.get("/admin/campaigns/segments/no_order_yet")).status == 200

    resp = await console.get("/admin/campaigns/segments/all/members.csv")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert 'filename="phan-khuc-all.csv"' in resp.headers["Content-Disposition"]
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Mã thành viên", "Họ tên", "Số điện thoại", "Hạng", "R", "F", "M",
                       "Nhóm RFM"]  # fmt: skip
    assert sorted(r[0] for r in rows[1:]) == sorted(codes)
    ha = next(r for r in rows[1:] if r[0] == codes[0])
    assert ha[1] == "Nguyễn Thu Hà" and ha[2] == "84912345600" and ha[3] == "Member"
    assert ha[4] and ha[7]  # scored by the refresh, the RFM group by its Vietnamese name
    entry = await AuditEntry.get(action="GET /admin/campaigns/segments/{id}/members.csv")
    assert entry.source == "console" and entry.target == "segment=all"
    assert entry.actor_role == "manager"


async def test_segment_members_page_by_page(console: Console) -> None:
    from bot.console import segments

    codes = [await order(console, f"0987{i:06d}", f"P-{i}") for i in range(segments.PAGE_SIZE + 3)]
    await refresh(console)
    await console.as_role("owner")
    first = await (await console.get("/admin/campaigns/segments/all")).text()
    assert first.count('<tr><td><a href="/admin/members/') == segments.PAGE_SIZE
    nxt = first.split('id="next-page"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = await (await console.get(nxt.replace("&amp;", "&"))).text()
    assert second.count('<tr><td><a href="/admin/members/') == 3
    assert 'id="next-page"' not in second
    seen = {c for c in codes if f'/admin/members/{c}"' in first + second}
    assert seen == set(codes)
