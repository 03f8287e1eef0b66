"""`import members FILE`: upsert members by normalised phone, with tags and opening points.

Each batch is staged, then written with a handful of statements. Every write is idempotent
(`ON CONFLICT DO NOTHING` on phones, identities, tags and the `import:<phone>` ledger ref),
so the same file twice, or twice at once from two processes, changes nothing the second
time. A value left empty in the file never erases what the member already has.

The opening balance (`points`) is a ledger entry of kind `import`, once per phone ever. It
is spendable balance, not points earned: it does not move the tier (an import of a whole
shop must not hand out every tier reward at once).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from random import Random
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from loyalty import codes
from loyalty.clock import vn_date
from loyalty.errors import InvalidInput
from loyalty.imports import values as v
from loyalty.imports.problems import BadValue, RowProblem
from loyalty.imports.staging import Staging
from loyalty.segments.sql import Params
from loyalty.tags import split_tags

ALIASES: dict[str, tuple[str, ...]] = {
    "phone": (
        "phone", "số điện thoại", "sđt", "sdt", "điện thoại", "di động", "mobile",
        "phone number", "số đt", "tel",
    ),
    "name": ("name", "họ tên", "họ và tên", "tên khách hàng", "tên", "khách hàng", "full name"),
    "birthday": ("birthday", "ngày sinh", "sinh nhật", "date of birth", "dob"),
    "tags": ("tags", "tag", "nhãn", "nhóm khách hàng", "nhóm"),
    "joined_at": ("joined_at", "ngày tham gia", "ngày đăng ký", "joined", "created_at"),
    "points": ("points", "điểm", "điểm tích lũy", "điểm hiện tại"),
}  # fmt: skip
REQUIRED = ["phone"]
MEMBER_STAGE = (
    ("phone", "text"),
    ("name", "text"),
    ("birthday", "date"),
    ("joined_at", "ts"),
    ("points", "int"),
    ("code", "text"),
)
TAG_STAGE = (("phone", "text"), ("tag", "text"))


@dataclass(slots=True)
class MemberRow:
    phone: str
    name: str | None = None
    birthday: date | None = None
    joined_at: datetime | None = None
    points: int = 0
    tags: list[str] = field(default_factory=list)

    def merge(self, other: MemberRow) -> None:
        """A later row of the same phone: its non-empty values win, tags add up."""
        self.name = other.name or self.name
        self.birthday = other.birthday or self.birthday
        self.joined_at = other.joined_at or self.joined_at
        self.points = other.points or self.points
        self.tags += [t for t in other.tags if t not in self.tags]


def parse_row(
    shown: str, row_no: int, raw: dict[str, Any], today: date
) -> tuple[MemberRow | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def bad(column: str, exc: BadValue) -> None:
        problems.append(RowProblem(shown, row_no, column, exc.message, exc.fix))

    phone = ""
    if not v.text(raw.get("phone")):
        bad("phone", BadValue("is empty", "every row needs the customer's phone number"))
    else:
        try:
            phone = v.phone(raw["phone"])
        except BadValue as exc:
            bad("phone", exc)
    row = MemberRow(phone=phone)
    name = v.text(raw.get("name"))
    if len(name) > 128:
        bad("name", BadValue(f"is {len(name)} characters long", "shorten it to 128"))
    row.name = name or None
    if v.text(raw.get("birthday")):
        try:
            born = v.day(raw["birthday"])
            if not date(1900, 1, 1) <= born <= today:
                raise BadValue(f"{born} is not a possible birthday", "check the year")
            row.birthday = born
        except BadValue as exc:
            bad("birthday", exc)
    if v.text(raw.get("joined_at")):
        try:
            row.joined_at = v.moment(raw["joined_at"])
            if not 1990 <= row.joined_at.year <= today.year:
                shown_day = vn_date(row.joined_at)
                raise BadValue(f"{shown_day} is not a possible date", "check the year")
        except BadValue as exc:
            bad("joined_at", exc)
    if v.text(raw.get("points")):
        try:
            row.points = v.amount(raw["points"], allow_zero=True)
            if row.points > 2**31 - 1:
                raise BadValue(f"{row.points} points is too many", "check the value")
        except BadValue as exc:
            bad("points", BadValue(exc.message, "write a whole number of points, e.g. 150"))
    try:
        row.tags = split_tags(v.text(raw.get("tags")))
    except InvalidInput as exc:
        bad("tags", BadValue(exc.detail, "separate tags with , or ; (each at most 64 characters)"))
    return (row if not problems else None), problems


@dataclass(slots=True)
class MemberCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"members: {self.new} new, {self.updated} updated, {self.unchanged} unchanged"


class MemberWriter:
    """Writes batches of members inside the caller's transaction (`tx`)."""

    def __init__(self, tx: BaseDBAsyncClient, now: datetime, *, source: str = "import") -> None:
        self.tx = tx
        self.now = now
        self.source = source
        self.pg = tx.capabilities.dialect == "postgres"
        self.rows = Staging(tx, "imp_member", MEMBER_STAGE)
        self.tags = Staging(tx, "imp_tag", TAG_STAGE)
        self.credits = Staging(tx, "imp_credit", (("entry_id", "int"), ("amount", "int")))
        self.rng = Random(secrets.randbits(128))
        self.seen: set[str] = set()

    async def start(self) -> None:
        for stage in (self.rows, self.tags, self.credits):
            await stage.create()

    async def finish(self) -> None:
        for stage in (self.rows, self.tags, self.credits):
            await stage.drop()

    def _p(self) -> Params:
        from loyalty.segments.sql import Dialect

        return Params(Dialect("postgres" if self.pg else "sqlite"))

    async def write(self, batch: list[MemberRow], counts: MemberCounts | None = None) -> None:
        merged: dict[str, MemberRow] = {}
        for row in batch:
            if row.phone in merged:
                merged[row.phone].merge(row)
            else:
                merged[row.phone] = row
        await self.rows.load(
            [
                (r.phone, r.name, r.birthday, r.joined_at, r.points, self._code())
                for r in merged.values()
            ]
        )
        await self.tags.load([(r.phone, t) for r in merged.values() for t in r.tags])
        if counts is not None:
            await self._count(counts)
        await self._insert_new()
        await self._update_existing()
        await self._insert_tags()
        await self._credit_points()

    async def write_staged(self, counts: MemberCounts | None = None) -> None:
        """The same writes over `imp_member` and `imp_tag` filled by the caller (the whole
        file at once, one row per phone)."""
        if counts is not None:
            rows = await self.tx.execute_query_dict(
                f"SELECT state, COUNT(*) AS n FROM ({self._state_sql()}) x GROUP BY state"
            )
            for row in rows:
                setattr(counts, row["state"], getattr(counts, row["state"]) + int(row["n"]))
        await self._insert_new()
        await self._update_existing()
        await self._insert_tags()
        await self._credit_points()

    def _code(self) -> str:
        return codes.generate(codes.MEMBER_LENGTH, rng=self.rng)

    def _state_sql(self) -> str:
        """Each staged phone: new, updated (a value or tag it adds) or unchanged."""
        changed = """
            (s.name IS NOT NULL AND (m.name IS NULL OR m.name <> s.name))
            OR (s.birthday IS NOT NULL AND (m.birthday IS NULL OR m.birthday <> s.birthday))
            OR (s.joined_at IS NOT NULL AND (m.joined_at IS NULL OR m.joined_at <> s.joined_at))
            OR (s.points > 0 AND NOT EXISTS (SELECT 1 FROM points_entry e
                WHERE e.kind = 'import' AND e.ref = 'import:' || s.phone))
            OR EXISTS (SELECT 1 FROM imp_tag t WHERE t.phone = s.phone AND NOT EXISTS (
                SELECT 1 FROM member_tag mt WHERE mt.member_id = m.id AND mt.tag = t.tag))"""
        return (
            "SELECT s.phone, CASE WHEN m.id IS NULL THEN 'new'"
            f" WHEN {changed} THEN 'updated' ELSE 'unchanged' END AS state"
            " FROM imp_member s LEFT JOIN member m ON m.phone = s.phone"
        )

    async def _count(self, counts: MemberCounts) -> None:
        rows = await self.tx.execute_query_dict(self._state_sql())
        for row in rows:
            phone = str(row["phone"])
            if phone in self.seen:
                continue  # counted with its first batch
            self.seen.add(phone)
            setattr(counts, row["state"], getattr(counts, row["state"]) + 1)

    async def _insert_new(self) -> None:
        for _attempt in range(8):
            p = self._p()
            now, source = p.at(self.now), p.add(self.source)
            await self.tx.execute_query(
                # No marketing consent comes with an import: silence is not consent.
                "INSERT INTO member (member_code, name, phone, tier, points_earned,"
                " points_balance, created_at, source, birthday, joined_at, marketing_opt_in)"
                f" SELECT s.code, s.name, s.phone, '', 0, 0, {now}, {source}, s.birthday,"
                " s.joined_at, FALSE FROM imp_member s"
                " WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.phone = s.phone)"
                " ON CONFLICT DO NOTHING",
                p.values,
            )
            missing = await self.tx.execute_query_dict(
                "SELECT s.phone FROM imp_member s"
                " WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.phone = s.phone)"
            )
            if not missing:
                break
            for row in missing:  # a member code that was taken: draw another one
                p = self._p()
                sql = f"UPDATE imp_member SET code = {p.add(self._code())}"
                await self.tx.execute_query(f"{sql} WHERE phone = {p.add(row['phone'])}", p.values)
        else:
            raise RuntimeError("could not draw free member codes")
        p = self._p()
        await self.tx.execute_query(
            "INSERT INTO member_identity (member_id, kind, value, created_at)"
            f" SELECT m.id, 'phone', m.phone, {p.at(self.now)}"
            " FROM imp_member s JOIN member m ON m.phone = s.phone"
            " WHERE NOT EXISTS (SELECT 1 FROM member_identity i"
            " WHERE i.kind = 'phone' AND i.value = s.phone)"
            " ON CONFLICT DO NOTHING",
            p.values,
        )

    async def _update_existing(self) -> None:
        await self.tx.execute_query(
            "UPDATE member SET"
            " name = COALESCE(s.name, member.name),"
            " birthday = COALESCE(s.birthday, member.birthday),"
            " joined_at = COALESCE(s.joined_at, member.joined_at)"
            " FROM imp_member s WHERE member.phone = s.phone AND ("
            " (s.name IS NOT NULL AND (member.name IS NULL OR member.name <> s.name))"
            " OR (s.birthday IS NOT NULL"
            " AND (member.birthday IS NULL OR member.birthday <> s.birthday))"
            " OR (s.joined_at IS NOT NULL"
            " AND (member.joined_at IS NULL OR member.joined_at <> s.joined_at)))"
        )

    async def _insert_tags(self) -> None:
        await self.tx.execute_query(
            "INSERT INTO member_tag (member_id, tag)"
            " SELECT DISTINCT m.id, t.tag FROM imp_tag t JOIN member m ON m.phone = t.phone"
            " WHERE NOT EXISTS (SELECT 1 FROM member_tag mt"
            " WHERE mt.member_id = m.id AND mt.tag = t.tag)"
            " ON CONFLICT DO NOTHING"
        )

    async def _credit_points(self) -> None:
        """Opening balances: the ledger row first (its unique ref decides who credits), then
        the balance of exactly the rows this import inserted, then their `balance_after`."""
        if self.pg:
            await self._credit_points_pg()
            return
        p = self._p()
        rows = await self.tx.execute_query_dict(
            "INSERT INTO points_entry (member_id, kind, amount, balance_after, earned_delta,"
            " reason, ref, created_at)"
            f" SELECT m.id, 'import', s.points, s.points, 0, 'số dư chuyển từ hệ thống cũ',"
            f" 'import:' || s.phone, {p.at(self.now)}"
            " FROM imp_member s JOIN member m ON m.phone = s.phone"
            " WHERE s.points > 0 AND NOT EXISTS (SELECT 1 FROM points_entry e"
            " WHERE e.kind = 'import' AND e.ref = 'import:' || s.phone)"
            " ON CONFLICT DO NOTHING RETURNING id, amount",
            p.values,
        )
        if not rows:
            return
        await self.credits.load([(int(r["id"]), int(r["amount"])) for r in rows])
        await self.tx.execute_query(
            "UPDATE member SET points_balance = points_balance + c.amount"
            " FROM imp_credit c JOIN points_entry e ON e.id = c.entry_id"
            " WHERE member.id = e.member_id"
        )
        await self.tx.execute_query(
            "UPDATE points_entry SET balance_after = m.points_balance"
            " FROM imp_credit c, member m"
            " WHERE points_entry.id = c.entry_id AND m.id = points_entry.member_id"
        )

    async def _credit_points_pg(self) -> None:
        """The same in two statements: the credited members are locked first, so each ledger
        row's `balance_after` can be written with the row, and the balances updated from
        the rows the INSERT returns (the ledger's unique ref still decides who credits)."""
        candidates = (
            " FROM imp_member s JOIN member m ON m.phone = s.phone"
            " WHERE s.points > 0 AND NOT EXISTS (SELECT 1 FROM points_entry e"
            " WHERE e.kind = 'import' AND e.ref = 'import:' || s.phone)"
        )
        await self.tx.execute_query(
            f"SELECT COUNT(*) FROM (SELECT m.id {candidates} FOR UPDATE OF m) x"
        )
        p = self._p()
        await self.tx.execute_query(
            "WITH ins AS (INSERT INTO points_entry (member_id, kind, amount, balance_after,"
            " earned_delta, reason, ref, created_at)"
            " SELECT m.id, 'import', s.points, m.points_balance + s.points, 0,"
            f" 'số dư chuyển từ hệ thống cũ', 'import:' || s.phone, {p.at(self.now)}"
            f" {candidates} ON CONFLICT DO NOTHING RETURNING member_id, amount)"
            " UPDATE member SET points_balance = member.points_balance + ins.amount"
            " FROM ins WHERE member.id = ins.member_id",
            p.values,
        )
