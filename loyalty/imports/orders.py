"""`import orders FILE`: the shop's order history, idempotent by `order_id` like the POS API.

Without `--award-points` the orders are history: written in bulk with 0 points (they count
for RFM, segments, reports and journeys, not for the balance or the tier). A row whose
status is `refunded` is stored refunded; for a 0-point order that is all a refund through
the API does. An order already in the database (recorded by the POS API with points) that
the file says is refunded goes through `loyalty.orders.refund_order`, exactly like the API's
refund. Cancelled orders are kept with status `cancelled` and count for nothing.

With `--award-points` each new order goes through `loyalty.orders.record_order` (points,
tier upgrades, tier rewards), one at a time: slower, and meant for recent orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from loyalty import codes
from loyalty.clock import vn_date
from loyalty.imports import values as v
from loyalty.imports.members import MemberRow, MemberWriter
from loyalty.imports.problems import BadValue, RowProblem
from loyalty.imports.staging import Staging
from loyalty.segments.sql import Dialect, Params

ALIASES: dict[str, tuple[str, ...]] = {
    "order_id": (
        "order_id", "mã đơn hàng", "mã đơn", "mã hóa đơn", "mã hoá đơn", "order id", "order",
        "invoice", "số hóa đơn",
    ),
    "phone": ("phone", "số điện thoại", "sđt", "sdt", "điện thoại", "mobile", "phone number"),
    "member_code": ("member_code", "mã thành viên", "member code"),
    "amount": (
        "amount", "tổng tiền", "thành tiền", "số tiền", "tổng cộng", "khách cần trả",
        "khách đã trả", "total",
    ),
    "paid_at": (
        "paid_at", "ngày thanh toán", "thời gian", "ngày mua", "ngày tạo", "ngày", "date",
        "created_at",
    ),
    "status": ("status", "trạng thái"),
    "source": ("source", "nguồn", "kênh bán", "kênh"),
}  # fmt: skip
REQUIRED = ["order_id", "amount"]
ORDER_STAGE = (
    ("order_id", "text"),
    ("phone", "text"),
    ("member_code", "text"),
    ("amount", "int"),
    ("paid_at", "ts"),
    ("paid_iso", "text"),
    ("status", "text"),
    ("source", "text"),
)


@dataclass(slots=True)
class OrderRow:
    order_id: str
    amount: int
    phone: str | None = None
    member_code: str | None = None
    paid_at: datetime | None = None
    status: str = "paid"
    source: str | None = None


def parse_row(
    shown: str, row_no: int, raw: dict[str, Any], now: datetime
) -> tuple[OrderRow | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def bad(column: str, message: str, fix: str) -> None:
        problems.append(RowProblem(shown, row_no, column, message, fix))

    order_id = v.text(raw.get("order_id"))
    if not order_id or len(order_id) > 128 or any(ord(c) < 32 for c in order_id):
        bad("order_id", "is empty or too long", "give every order its id (1..128 characters)")
    row = OrderRow(order_id=order_id, amount=0)
    try:
        row.amount = v.amount(raw.get("amount"))
    except BadValue as exc:
        bad("amount", exc.message, exc.fix)
    phone_raw, code_raw = v.text(raw.get("phone")), v.text(raw.get("member_code"))
    if code_raw:
        code = codes.normalize(code_raw)
        if not code.isalnum() or len(code) > codes.MAX_LENGTH + 1:
            bad("member_code", f"{code_raw!r} is not a member code", "copy it from the card")
        row.member_code = code
    elif phone_raw:
        try:
            row.phone = v.phone(phone_raw)
        except BadValue as exc:
            bad("phone", exc.message, exc.fix)
    else:
        bad("phone", "is empty", "give the customer's phone or member_code on every order")
    if v.text(raw.get("paid_at")):
        try:
            row.paid_at = v.moment(raw["paid_at"])
            if row.paid_at.year < 2000 or row.paid_at > now:
                raise BadValue(
                    f"{vn_date(row.paid_at)} is not a possible payment date",
                    "it must be after 2000 and not in the future",
                )
        except BadValue as exc:
            bad("paid_at", exc.message, exc.fix)
    try:
        row.status = v.status(raw.get("status"))
    except BadValue as exc:
        bad("status", exc.message, exc.fix)
    source = v.text(raw.get("source"))
    row.source = source[:32] if source else None
    return (row if not problems else None), problems


@dataclass(slots=True)
class OrderCounts:
    new: int = 0
    unchanged: int = 0
    refunded: int = 0

    def __str__(self) -> str:
        return f"orders: {self.new} new, {self.unchanged} unchanged, {self.refunded} refunded"


def _result_json(d: Dialect) -> str:
    """The stored first answer (`pos_order.result`), as the POS API would replay it."""
    fn, arr = (
        ("json_build_object", "json_build_array()") if d.pg else ("json_object", "json_array()")
    )
    body = (
        f"{fn}('order_id', o.order_id, 'member_code', m.member_code, 'amount', o.amount,"
        " 'points', 0, 'balance', m.points_balance, 'tier', m.tier, 'upgraded_from', NULL,"
        f" 'vouchers', {arr}, 'paid_at', COALESCE(o.paid_iso, {{now_iso}}), 'status', 'paid')"
    )
    return f"CAST({body} AS JSONB)" if d.pg else body


class OrderWriter:
    """History orders in bulk, inside the caller's transaction."""

    def __init__(self, tx: BaseDBAsyncClient, now: datetime) -> None:
        self.tx = tx
        self.now = now
        self.d = Dialect("postgres" if tx.capabilities.dialect == "postgres" else "sqlite")
        self.stage = Staging(tx, "imp_order", ORDER_STAGE)
        self.members = MemberWriter(tx, now)
        self.to_refund: list[str] = []  # existing paid orders the file says are refunded

    async def start(self) -> None:
        await self.stage.create()
        await self.members.start()

    async def finish(self) -> None:
        await self.stage.drop()
        await self.members.finish()

    async def write(self, batch: list[OrderRow], counts: OrderCounts) -> None:
        first: dict[str, OrderRow] = {}
        for row in batch:
            first.setdefault(row.order_id, row)  # the first row of an order id stands
        phones = sorted({r.phone for r in first.values() if r.phone})
        await self.members.write([MemberRow(phone=p) for p in phones])
        await self.stage.load(
            [
                (
                    r.order_id,
                    r.phone,
                    r.member_code,
                    r.amount,
                    r.paid_at,
                    r.paid_at.isoformat() if r.paid_at else None,
                    r.status,
                    r.source,
                )
                for r in first.values()
            ]
        )
        await self.merge(counts)

    async def write_staged(self, counts: OrderCounts) -> None:
        """The same writes over `imp_order` and `imp_member` filled by the caller (the
        whole file at once)."""
        await self.members.write_staged()
        await self.merge(counts)

    async def merge(self, counts: OrderCounts) -> None:
        """Staged orders → `pos_order`: new ones inserted, known ones counted, paid ones the
        file says are refunded kept for a real refund."""
        refund = "o.status = 'refunded' AND p.status = 'paid'"
        known = "FROM imp_order o JOIN pos_order p ON p.order_id = o.order_id"
        found = await self.tx.execute_query_dict(
            f"SELECT COUNT(*) AS n {known} WHERE NOT ({refund})"
        )
        counts.unchanged += int(found[0]["n"] or 0)
        refunds = await self.tx.execute_query_dict(f"SELECT o.order_id {known} WHERE {refund}")
        self.to_refund += [str(r["order_id"]) for r in refunds]
        for who in ("member_code", "phone"):
            p = Params(self.d)
            now = p.at(self.now)
            now_iso = p.add(self.now.isoformat())
            result = _result_json(self.d).replace("{now_iso}", now_iso)
            join = (
                "JOIN member mc ON mc.member_code = o.member_code"
                " JOIN member m ON m.id = COALESCE(mc.merged_into_id, mc.id)"
                if who == "member_code"
                else "JOIN member m ON m.phone = o.phone"
            )
            insert = (
                "INSERT INTO pos_order (order_id, member_id, amount, paid_at, points,"
                " balance_after, tier_after, result, status, points_reversed, refunded_at,"
                " created_at, source)"
                f" SELECT o.order_id, m.id, o.amount, COALESCE(o.paid_at, {now}), 0,"
                f" m.points_balance, m.tier, {result}, o.status, 0,"
                f" CASE WHEN o.status = 'refunded' THEN {now} ELSE NULL END, {now},"
                f" COALESCE(o.source, 'import')"
                f" FROM imp_order o {join}"
                f" WHERE o.{who} IS NOT NULL AND NOT EXISTS"
                " (SELECT 1 FROM pos_order x WHERE x.order_id = o.order_id)"
                " ON CONFLICT DO NOTHING RETURNING status"
            )
            if self.d.pg:  # counted in the database: a whole file's rows stay there
                sql = (
                    f"WITH ins AS ({insert}) SELECT status, COUNT(*) AS n FROM ins GROUP BY status"
                )
                rows = await self.tx.execute_query_dict(sql, p.values)
            else:
                rows = await self.tx.execute_query_dict(insert, p.values)
                rows = [{"status": r["status"], "n": 1} for r in rows]
            for r in rows:  # a row written refunded counts as refunded, not as new
                if r["status"] == "refunded":
                    counts.refunded += int(r["n"])
                else:
                    counts.new += int(r["n"])
