"""Reports over real HTTP: the cohort heat map, the RFM grid, a game with its promotion
ledger and the registration warning, members by source; every CSV parsed back."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.appkeys import CONTENT
from loyalty.segments.refresh import refresh_all
from tests.bot.console.conftest import ADMIN_KEY, Console


async def paid(
    console: Console, phone: str, order_id: str, amount: int, at: str | None = None
) -> None:
    body: dict[str, Any] = {"order_id": order_id, "amount": amount, "phone": phone}
    if at is not None:
        body["paid_at"] = at
    resp = await console.client.post(
        "/api/v1/admin/orders",
        json=body,
        headers={"X-Api-Key": ADMIN_KEY},
    )
    assert resp.status in (200, 201), await resp.text()


async def two_customers(console: Console) -> None:
    """A buys in January and February, B in January only."""
    await paid(console, "0912000001", "A-1", 100_000, "2026-01-10T10:00:00+07:00")
    await paid(console, "0912000001", "A-2", 50_000, "2026-02-10T10:00:00+07:00")
    await paid(console, "0912000002", "B-1", 80_000, "2026-01-20T10:00:00+07:00")
    await refresh_all(console.client.server.app[CONTENT].current.segment_spec())


async def csv_rows(console: Console, path: str) -> list[list[str]]:
    resp = await console.get(path)
    assert resp.status == 200, path
    assert resp.headers["Content-Type"].startswith("text/csv")
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf"), path
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


async def test_cohort_heat_map_and_its_csv(console: Console) -> None:
    await two_customers(console)
    await console.as_role("manager")
    html = await (await console.get("/admin/reports/cohorts")).text()
    row = html.split('data-cohort="2026-01"')[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in row  # two members in January's cohort
    cells = re.findall(r'<td class="num h(\d+)" title="([^"]*)">(\d+)%</td>', row)
    assert cells[0] == ("10", "2 khách · 2 đơn · 180.000 ₫", "100")  # month 0: darkest
    assert cells[1] == ("5", "1 khách · 1 đơn · 50.000 ₫", "50")  # month 1: half as dark
    assert 'class="heat"' in html
    rows = await csv_rows(console, "/admin/reports/cohorts.csv?by=first_order")
    assert rows[0][:3] == ["Nhóm (tháng)", "Số thành viên", "Tháng thứ"]
    assert ["2026-01", "2", "1", "1", "50", "1", "50000"] in rows
    joined = await (await console.get("/admin/reports/cohorts?by=joined&source=pos")).text()
    assert 'value="joined" selected' in joined
    none = await (await console.get("/admin/reports/cohorts?source=referral")).text()
    assert 'id="no-cohorts"' in none


async def test_rfm_grid_and_sources(console: Console) -> None:
    await two_customers(console)
    await paid(console, "0912000002", "B-2", 70_000)  # today: after joining (the others not)
    await console.as_role("owner")
    html = await (await console.get("/admin/reports/rfm")).text()
    counts = re.findall(r'data-r="(\d)" data-f="(\d)" title="[^"]*">(\d+)<br>', html)
    assert len(counts) == 25 and sum(int(n) for _, _, n in counts) == 2
    assert "2 khách có điểm RFM" in html and "chưa tính" not in html
    rows = await csv_rows(console, "/admin/reports/rfm.csv")
    assert rows[0][:3] == ["R (gần đây)", "F (tần suất)", "Thành viên"]
    assert len(rows) == 26 and sum(int(r[2]) for r in rows[1:]) == 2
    sources = await (await console.get("/admin/reports/sources")).text()
    pos = sources.split('data-source="pos"')[1].split("</tr>")[0]
    assert "Tại quầy (POS)" in pos and ">2</td>" in pos and "70.000 ₫" in pos
    rows = await csv_rows(console, "/admin/reports/sources.csv")
    assert rows[0] == ["Nguồn", "Thành viên", "Đơn hàng từ khi tham gia", "Doanh thu (đồng)"]
    assert ["pos", "2", "1", "70000"] in rows


async def test_game_report_ledger_and_registration_warning(
    start_console: Callable[..., Any], content_path: Path
) -> None:
    with content_path.open("a", encoding="utf-8") as f:
        f.write("\npromotions:\n  registration_threshold: 10000000\n")
    console: Console = await start_console()
    await console.as_role("manager")
    index = await (await console.get("/admin/reports")).text()
    assert "/admin/reports/games/lucky-wheel" in index
    html = await (await console.get("/admin/reports/games/lucky-wheel")).text()
    # 50 × 50.000 + 200 × 20.000 + 300 × 5.000 + 500 × 10.000 announced, over 10.000.000.
    assert "registration-warning" in html and "13.000.000 ₫" in html and "10.000.000 ₫" in html
    assert 'id="l-announced">13.000.000 ₫<' in html and 'id="l-unawarded">13.000.000 ₫<' in html
    assert 'id="g-plays">0<' in html
    small = await (await console.get("/admin/reports/games/scratch-card")).text()
    assert "registration-warning" not in small  # 5.550.000 ₫: under the threshold
    rows = await csv_rows(console, "/admin/reports/games/lucky-wheel.csv")
    assert rows[0][:3] == ["Mã quà", "Tên quà", "Lượt trúng"]
    v50k = next(r for r in rows if r[0] == "v50k")
    assert v50k[1] == "Voucher 50K" and v50k[4:9] == ["50", "50000", "50", "0", "50"]
    assert (await console.get("/admin/reports/games/khong-co")).status == 404
    assert (await console.get("/admin/reports/games/khong-co.csv")).status == 404
    dash = await (await console.get("/admin/")).text()
    assert "registration-warning" in dash and "Vòng quay may mắn" in dash
