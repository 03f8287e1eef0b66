"""The SQL of the segment refresh, written once for PostgreSQL and SQLite.

Statements use numbered parameters (`$1` on PostgreSQL, `?1` on SQLite) built by `Params`,
so fragments can be assembled in any order. Days are Vietnam days since 1970-01-01 (UTC+7,
no daylight saving), computed the same way in both databases and in Python (`vn_day`).

RFM scores are by rank, with ties sharing a score: a member's score in a dimension is
`1 + 5 * (below + at_or_below) // (2 * n)`, the mid-rank percentile of its value among the
`n` members with a paid order, in five steps. A shop where everyone has one order gives them
all the same middle F score instead of splitting equal customers at random.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from loyalty.clock import vn_date
from loyalty.segments.builtin import RFM_TABLE
from loyalty.segments.rules import Range, SegmentRule

EPOCH = date(1970, 1, 1)
CHANNEL_KINDS = {
    "zalo": ("zalo_oa", "zalo_app"),
    "messenger": ("messenger",),
    "miniapp": ("miniapp",),
}


def vn_day(moment: datetime) -> int:
    """The Vietnam day number of an instant (what `Dialect.day` computes in SQL)."""
    return (vn_date(moment) - EPOCH).days


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str  # "postgres" or "sqlite"

    @property
    def pg(self) -> bool:
        return self.name == "postgres"

    def day(self, expr: str) -> str:
        """Vietnam day number of a stored timestamp."""
        if self.pg:
            return f"CAST(FLOOR((EXTRACT(EPOCH FROM {expr}) + 25200) / 86400) AS INTEGER)"
        return f"CAST(((julianday({expr}) - 2440587.5) * 86400 + 25200) / 86400 AS INTEGER)"

    def month(self, expr: str) -> str:
        if self.pg:
            return f"CAST(EXTRACT(MONTH FROM {expr}) AS INTEGER)"
        return f"CAST(strftime('%m', {expr}) AS INTEGER)"

    def ts(self, moment: datetime) -> Any:
        """A timestamp parameter as each driver compares it with stored values."""
        moment = moment.astimezone(UTC)
        return moment if self.pg else moment.isoformat(sep=" ", timespec="microseconds")


@dataclass(slots=True)
class Params:
    dialect: Dialect
    values: list[Any] = field(default_factory=list)

    def add(self, value: Any, cast: str = "") -> str:
        self.values.append(value)
        mark = f"${len(self.values)}" if self.dialect.pg else f"?{len(self.values)}"
        return f"CAST({mark} AS {cast})" if cast and self.dialect.pg else mark

    def at(self, moment: datetime) -> str:
        return self.add(self.dialect.ts(moment), "TIMESTAMPTZ")

    def many(self, values: Sequence[Any]) -> str:
        return ", ".join(self.add(v) for v in values)


def _score(dim: str) -> str:
    return f"1 + 5 * ({dim}_lt + {dim}_le) / (2 * n)"


def segment_case(r: str, f: str, m: str) -> str:
    """The RFM segment of scores `r`, `f`, `m` (NULL without scores): `RFM_TABLE` as SQL."""
    fm = f"(({f}) + ({m}) + 1) / 2"
    whens = " ".join(
        f"WHEN {r} BETWEEN {row.r[0]} AND {row.r[1]} AND {fm} BETWEEN {row.fm[0]} AND {row.fm[1]}"
        f" THEN '{row.id}'"
        for row in RFM_TABLE
    )
    return f"CASE WHEN {r} IS NULL THEN NULL {whens} END"


def base_cte(p: Params, since: datetime, member_id: int | None) -> str:
    """`o`: paid order figures per member; `base`: every live member with them."""
    d = p.dialect
    since_at = p.at(since)
    one = f" AND member_id = {p.add(member_id)}" if member_id is not None else ""
    one_m = f" AND m.id = {p.add(member_id)}" if member_id is not None else ""
    return f"""
o AS (
    SELECT member_id,
        COUNT(*) AS orders_total,
        CAST(SUM(amount) AS BIGINT) AS spend_total,
        SUM(CASE WHEN paid_at >= {since_at} THEN 1 ELSE 0 END) AS orders_window,
        CAST(SUM(CASE WHEN paid_at >= {since_at} THEN amount ELSE 0 END) AS BIGINT)
            AS spend_window,
        MAX(paid_at) AS last_paid
    FROM pos_order WHERE status = 'paid'{one}
    GROUP BY member_id
),
base AS (
    SELECT m.id AS member_id, m.phone, m.tier,
        COALESCE(o.orders_total, 0) AS orders_total,
        COALESCE(o.spend_total, 0) AS spend_total,
        COALESCE(o.orders_window, 0) AS orders_window,
        COALESCE(o.spend_window, 0) AS spend_window,
        {d.day("o.last_paid")} AS last_order_day
    FROM member m LEFT JOIN o ON o.member_id = m.id
    WHERE m.merged_into_id IS NULL{one_m}
)"""


def stage_case(p: Params, first_tier: str) -> str:
    """AIPL: L = 3+ orders or a tier above the first, P = an order, I = phone or a play."""
    first = p.add(first_tier)
    return f"""CASE
        WHEN b.orders_total >= 3 OR (b.tier <> '' AND b.tier <> {first}) THEN 'L'
        WHEN b.orders_total >= 1 THEN 'P'
        WHEN b.phone IS NOT NULL
            OR EXISTS (SELECT 1 FROM play pl WHERE pl.member_id = b.member_id) THEN 'I'
        ELSE 'A' END"""


RFM_COLUMNS = (
    "member_id, orders_total, spend_total, orders_window, spend_window, last_order_day,"
    " r, f, m, segment, stage, refreshed_at"
)


def full_rfm_insert(p: Params, since: datetime, first_tier: str, now: datetime) -> str:
    """Every live member's row of `member_rfm`, ranked in one statement."""
    base = base_cte(p, since, None)
    stage = stage_case(p, first_tier)
    now_at = p.at(now)
    return f"""
INSERT INTO member_rfm ({RFM_COLUMNS})
WITH {base},
pop AS (
    SELECT member_id, COUNT(*) OVER () AS n,
        RANK() OVER (ORDER BY last_order_day) - 1 AS r_lt,
        COUNT(*) OVER (ORDER BY last_order_day) AS r_le,
        RANK() OVER (ORDER BY orders_window) - 1 AS f_lt,
        COUNT(*) OVER (ORDER BY orders_window) AS f_le,
        RANK() OVER (ORDER BY spend_window) - 1 AS m_lt,
        COUNT(*) OVER (ORDER BY spend_window) AS m_le
    FROM base WHERE last_order_day IS NOT NULL
),
scored AS (
    SELECT member_id, {_score("r")} AS r, {_score("f")} AS f, {_score("m")} AS m FROM pop
)
SELECT b.member_id, b.orders_total, b.spend_total, b.orders_window, b.spend_window,
    b.last_order_day, s.r, s.f, s.m, {segment_case("s.r", "s.f", "s.m")} AS segment,
    {stage} AS stage, {now_at} AS refreshed_at
FROM base b LEFT JOIN scored s ON s.member_id = b.member_id"""


def one_member_figures(p: Params, since: datetime, first_tier: str, member_id: int) -> str:
    """One live member's figures and stage (no scores: those come from `rfm_cut`)."""
    base = base_cte(p, since, member_id)
    stage = stage_case(p, first_tier)
    return f"""
WITH {base}
SELECT b.member_id, b.orders_total, b.spend_total, b.orders_window, b.spend_window,
    b.last_order_day, {stage} AS stage
FROM base b"""


CUTS_INSERT = """
INSERT INTO rfm_cut (dimension, score, min_value)
SELECT 'r', r, MIN(last_order_day) FROM member_rfm WHERE r IS NOT NULL GROUP BY r
UNION ALL
SELECT 'f', f, MIN(orders_window) FROM member_rfm WHERE f IS NOT NULL GROUP BY f
UNION ALL
SELECT 'm', m, MIN(spend_window) FROM member_rfm WHERE m IS NOT NULL GROUP BY m"""


# --- segment membership ---------------------------------------------------------------------
BUILTIN_PREDICATES = {
    "all": "1 = 1",
    "has_phone": "m.phone IS NOT NULL",
    "no_order_yet": "COALESCE(rf.orders_total, 0) = 0",
}


def _range(p: Params, expr: str, bounds: Range, today: int, *, days: bool) -> list[str]:
    """Bounds on "days since" a day-number column, written as bounds on the column itself."""
    out: list[str] = [f"{expr} IS NOT NULL"]
    if days:
        if bounds.min is not None:
            out.append(f"{expr} <= {p.add(today - bounds.min)}")
        if bounds.max is not None:
            out.append(f"{expr} >= {p.add(today - bounds.max)}")
    return out


def rule_predicate(p: Params, rule: SegmentRule, *, today: int, first_tier: str) -> str:
    """A custom rule as one WHERE condition over `m` (member) and `rf` (its member_rfm row)."""
    d = p.dialect
    parts: list[str] = []
    orders, spend = "COALESCE(rf.orders_total, 0)", "COALESCE(rf.spend_total, 0)"
    if rule.min_orders is not None:
        parts.append(f"{orders} >= {p.add(rule.min_orders)}")
    if rule.max_orders is not None:
        parts.append(f"{orders} <= {p.add(rule.max_orders)}")
    if rule.min_spend is not None:
        parts.append(f"{spend} >= {p.add(rule.min_spend)}")
    if rule.max_spend is not None:
        parts.append(f"{spend} <= {p.add(rule.max_spend)}")
    if rule.last_order_days is not None:
        parts += _range(p, "rf.last_order_day", rule.last_order_days, today, days=True)
    if rule.tier is not None:
        names = list(rule.tier) + ([""] if first_tier in rule.tier else [])
        parts.append(f"m.tier IN ({p.many(names)})")
    if rule.tags is not None:
        tag_q = "SELECT 1 FROM member_tag t WHERE t.member_id = m.id AND t.tag IN"
        if rule.tags.any:
            parts.append(f"EXISTS ({tag_q} ({p.many(_tags(rule.tags.any))}))")
        if rule.tags.none:
            parts.append(f"NOT EXISTS ({tag_q} ({p.many(_tags(rule.tags.none))}))")
        if rule.tags.all:
            wanted = sorted(set(_tags(rule.tags.all)))
            parts.append(
                "(SELECT COUNT(*) FROM member_tag t WHERE t.member_id = m.id"
                f" AND t.tag IN ({p.many(wanted)})) = {p.add(len(wanted))}"
            )
    if rule.channel is not None:
        kinds = sorted({k for c in rule.channel for k in CHANNEL_KINDS[c]})
        parts.append(
            "EXISTS (SELECT 1 FROM member_identity i WHERE i.member_id = m.id"
            f" AND i.kind IN ({p.many(kinds)}))"
        )
    if rule.has_phone is not None:
        parts.append("m.phone IS NOT NULL" if rule.has_phone else "m.phone IS NULL")
    if rule.source is not None:
        parts.append(f"m.source IN ({p.many(rule.source)})")
    if rule.birthday_month is not None:
        months = rule.birthday_month
        if months == "current":
            months = [date.fromordinal(EPOCH.toordinal() + today).month]
        parts.append(f"{d.month('m.birthday')} IN ({p.many(list(months))})")
    if rule.joined_days is not None:
        joined = d.day("COALESCE(m.joined_at, m.created_at)")
        if rule.joined_days.min is not None:
            parts.append(f"{joined} <= {p.add(today - rule.joined_days.min)}")
        if rule.joined_days.max is not None:
            parts.append(f"{joined} >= {p.add(today - rule.joined_days.max)}")
    if rule.stage is not None:
        parts.append(f"COALESCE(rf.stage, 'A') IN ({p.many(rule.stage)})")
    if rule.rfm is not None:
        parts.append(f"rf.segment IN ({p.many(rule.rfm)})")
    return " AND ".join(f"({x})" for x in parts) or "1 = 1"


def _tags(tags: Sequence[str]) -> list[str]:
    from loyalty.tags import normalize_tag

    return [normalize_tag(t) for t in tags]


def membership_insert(
    p: Params, segment_id: str | None, predicate: str, now: datetime, member_id: int | None
) -> str:
    """Rows of `segment_member` for one segment (`segment_id`), or for the RFM segments
    (`segment_id` None: each member's `member_rfm.segment`)."""
    sid = p.add(segment_id) if segment_id is not None else "rf.segment"
    now_at = p.at(now)
    one = f" AND m.id = {p.add(member_id)}" if member_id is not None else ""
    if segment_id is None:
        predicate = "rf.segment IS NOT NULL"
    return f"""
INSERT INTO segment_member (segment_id, member_id, refreshed_at)
SELECT {sid}, m.id, {now_at}
FROM member m LEFT JOIN member_rfm rf ON rf.member_id = m.id
WHERE m.merged_into_id IS NULL AND ({predicate}){one}"""
