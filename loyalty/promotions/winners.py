"""The winner list of a campaign, newest first, masked (for the public campaign page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty.promotions.masking import mask_name, mask_phone
from loyalty.rawsql import fetch

PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class Winner:
    prize_id: str
    won_at: datetime
    name: str  # masked
    phone: str  # masked


@dataclass(frozen=True, slots=True)
class WinnersPage:
    items: list[Winner]
    page: int
    pages: int
    total: int


def _instant(value: object) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value  # type: ignore[return-value]


async def winners_page(game_id: str, page: int = 1, size: int = PAGE_SIZE) -> WinnersPage:
    """One page of winners; names and phones are masked here, never later."""
    counted = await fetch("SELECT COUNT(*) AS n FROM award WHERE game_id = ?", game_id)
    total = int(counted[0]["n"])
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = await fetch(
        "SELECT a.prize_id AS prize_id, a.created_at AS created_at, m.name AS name,"
        " m.phone AS phone FROM award a JOIN member m ON m.id = a.member_id"
        " WHERE a.game_id = ? ORDER BY a.id DESC LIMIT ? OFFSET ?",
        game_id,
        size,
        (page - 1) * size,
    )
    items = [
        Winner(
            r["prize_id"], _instant(r["created_at"]), mask_name(r["name"]), mask_phone(r["phone"])
        )
        for r in rows
    ]
    return WinnersPage(items, page, pages, total)


async def remaining_units(game_id: str) -> dict[str, int]:
    """prize id -> units still claimable (all shards), read now."""
    rows = await fetch(
        "SELECT prize_id, SUM(remaining) AS n FROM prize_stock WHERE game_id = ?"
        " GROUP BY prize_id",
        game_id,
    )
    return {r["prize_id"]: int(r["n"]) for r in rows}
