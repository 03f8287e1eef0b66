"""Campaigns → Journeys over real HTTP: each journey's entries, conversions and uplift
against its holdout (the numbers `bot.journeys.metrics` gives the API), then one journey's
steps; an unknown journey is a 404 page; the dashboard counts the entries still running."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.journeys.models import JourneyEnrolment
from loyalty.models import Member
from tests.bot.console.conftest import Console
from tests.bot.console.test_segments import order


async def test_journeys_show_conversions_and_uplift(console: Console) -> None:
    codes = [await order(console, f"09870000{i:02d}", f"J-{i}", 60_000) for i in range(4)]
    ids = {m.member_code: m.id for m in await Member.filter(member_code__in=codes)}
    entered = datetime.now(UTC) - timedelta(days=1, hours=1)  # the orders came after entry
    for n, code in enumerate(codes[:3]):  # two got the steps, one was held out
        await JourneyEnrolment.create(
            journey_id="welcome",
            member_id=ids[code],
            state="active" if n == 0 else ("completed" if n == 1 else "holdout"),
            entered_at=entered,
            convert_until=entered + timedelta(days=30),
        )
    # Every order was paid just now, after the entries: all three converted, so the
    # uplift is 2/2 - 1/1 = 0.
    await console.as_role("manager")
    html = await (await console.get("/admin/campaigns/journeys")).text()
    row = html.split('data-journey="welcome"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row  # entered (the holdout apart)
    assert "+0.0 điểm %" in row
    assert 'data-journey="win-back-7d"' in html
    page = await console.get("/admin/campaigns/journeys/welcome")
    text = await page.text()
    assert page.status == 200 and 'id="journey-steps"' in text
    assert "Nhóm đối chứng" in text and "+0.0 điểm %" in text
    assert (await console.get("/admin/campaigns/journeys/nope")).status == 404
    home = await (await console.get("/admin")).text()  # the dashboard: one still running
    row = home.split('id="running-journeys"')[1].split('data-journey="welcome"')[1]
    assert row.split("</tr>")[0].endswith('<td class="num">1</td>')
    await console.as_role("staff")
    assert (await console.get("/admin/campaigns/journeys")).status == 403
