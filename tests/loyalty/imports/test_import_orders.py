"""`import orders`: history without points, --award-points, refunds like the API, idempotence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from loyalty import orders
from loyalty.config import LoyaltyConfig
from loyalty.models import Member, Order, PointsEntry
from tests.loyalty.imports.conftest import Imported

Run = Callable[..., Awaitable[Imported]]
NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


async def test_history_orders_in_every_format_earn_no_points(do_import: Run) -> None:
    done = await do_import("orders", "orders_vi_formats.csv", now=NOW)
    assert done.outcome.exit_code == 0, done.text
    assert done.lines[-1] == "orders: 4 new, 0 unchanged, 1 refunded"
    rows = {o.order_id: o for o in await Order.all()}
    assert rows["HD001"].amount == rows["HD002"].amount == rows["HD003"].amount == 1250000
    assert rows["HD001"].paid_at == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert rows["HD003"].paid_at == datetime(2025, 8, 30, 17, 0, tzinfo=UTC)  # Excel serial
    assert rows["HD004"].status == "cancelled" and rows["HD005"].status == "refunded"
    assert {o.points for o in rows.values()} == {0}
    assert {o.source for o in rows.values()} == {"import"}
    assert await PointsEntry.all().count() == 0
    lan = await Member.get(phone="84912345678")
    assert lan.source == "import" and lan.points_balance == 0


async def test_the_same_orders_twice_change_nothing(do_import: Run) -> None:
    await do_import("orders", "orders_vi_formats.csv", now=NOW)
    again = await do_import("orders", "orders_vi_formats.csv", now=NOW)
    assert again.lines[-1] == "orders: 0 new, 5 unchanged, 0 refunded"
    assert await Order.all().count() == 5
    assert await Member.all().count() == 3


async def test_an_imported_order_replays_like_the_pos_api(
    do_import: Run, loyalty_config: LoyaltyConfig
) -> None:
    await do_import("orders", "orders_vi_formats.csv", now=NOW)
    again = await orders.record_order("HD001", 1250000, config=loyalty_config, phone="0912345678")
    assert again.duplicate and again.points == 0 and again.amount == 1250000
    assert again.paid_at == "2026-11-20T07:30:00+00:00"


async def test_award_points_goes_through_the_order_service(
    do_import: Run, loyalty_config: LoyaltyConfig
) -> None:
    done = await do_import("orders", "orders_vi_formats.csv", now=NOW, award_points=True)
    assert done.lines[-1] == "orders: 4 new, 0 unchanged, 1 refunded", done.text
    lan = await Member.get(phone="84912345678")
    assert lan.points_balance == 250  # 2 x 1.250.000 / 10.000
    assert lan.source == "import"
    refunded = await Order.get(order_id="HD005")
    assert refunded.status == "refunded" and refunded.points == 20
    assert refunded.points_reversed == 20
    assert (await Order.get(order_id="HD004")).points == 0  # cancelled: never points
    again = await do_import("orders", "orders_vi_formats.csv", now=NOW, award_points=True)
    assert again.lines[-1] == "orders: 0 new, 5 unchanged, 0 refunded"
    assert (await Member.get(phone="84912345678")).points_balance == 250


async def test_a_refunded_row_reverses_an_api_order_exactly_like_the_api(
    do_import: Run, loyalty_config: LoyaltyConfig, tmp_path: object
) -> None:
    from pathlib import Path

    await orders.record_order("POS-9", 5_000_000, config=loyalty_config, phone="0912345678")
    member = await Member.get(phone="84912345678")
    assert member.points_balance == 500 and member.tier == "Silver"
    path = Path(str(tmp_path)) / "refunds.csv"
    path.write_text("order_id,phone,amount,status\nPOS-9,0912345678,5000000,refunded\n")
    done = await do_import("orders", path, now=NOW)
    assert done.lines[-1] == "orders: 0 new, 0 unchanged, 1 refunded"
    member = await Member.get(id=member.id)
    assert member.points_balance == 0 and member.tier == "Member"
    assert await PointsEntry.filter(kind="reversal", ref="order:POS-9").count() == 1
    again = await do_import("orders", path, now=NOW)
    assert again.lines[-1] == "orders: 0 new, 1 unchanged, 0 refunded"


async def test_bad_order_rows_and_unknown_member_codes(do_import: Run, tmp_path: object) -> None:
    from pathlib import Path

    done = await do_import("orders", "orders_bad_rows.csv", now=NOW)
    assert done.outcome.exit_code == 1
    lines = [str(p) for p in done.outcome.problems]
    assert lines[0].startswith("orders_bad_rows.csv:2 amount: 'abc' is not a whole amount in VND")
    assert lines[1].startswith("orders_bad_rows.csv:3 phone: is empty")
    assert lines[2].startswith("orders_bad_rows.csv:4 paid_at: 2099-01-01 is not a possible")
    assert await Order.all().count() == 0
    path = Path(str(tmp_path)) / "codes.csv"
    path.write_text("order_id,member_code,amount\nC1,ABCDEFGH,100000\n")
    coded = await do_import("orders", path, now=NOW)
    assert [str(p) for p in coded.outcome.problems] == [
        "codes.csv:2 member_code: no member has the code ABCDEFGH"
        " — check the code, or give the customer's phone instead"
    ]
