"""What the campaign page shows, gathered once per request, and its jinja2 template.

Every word is in the template (Vietnamese); Python passes facts. Names and phones arrive
already masked (`loyalty.promotions.winners`). The draw log is sealed first, so the chain
head shown covers every draw committed before the page was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2

from games.config import Game
from loyalty.clock import VN_TZ, aware
from loyalty.promotions import chain
from loyalty.promotions.registration import announced_value
from loyalty.promotions.winners import WinnersPage, remaining_units, winners_page

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=jinja2.select_autoescape(("html",)),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def vnd(amount: int | None) -> str:
    """`35.000đ`, as Vietnamese shops write money."""
    if amount is None:
        return "—"
    return f"{amount:,}".replace(",", ".") + "đ"


def vn_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return aware(moment).astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")


_env.filters["vnd"] = vnd
_env.filters["vn_time"] = vn_time


@dataclass(frozen=True, slots=True)
class PrizeRow:
    id: str
    label: str
    unit_value: int | None
    announced: int
    remaining: int


async def prize_rows(game: Game) -> list[PrizeRow]:
    left = await remaining_units(game.id)
    return [
        PrizeRow(p.id, p.label, p.unit_value, p.stock or 0, left.get(p.id, p.stock or 0))
        for p in game.prizes
        if not p.is_no_prize
    ]


async def render_page(game: Game, shop: str, page: int, base_path: str) -> str:
    await chain.seal(game.id)
    winners: WinnersPage = await winners_page(game.id, page)
    head = await chain.chain_head(game.id)
    labels = {p.id: p.label for p in game.prizes}
    return _env.get_template("promotion.html").render(
        game=game,
        shop=shop,
        prizes=await prize_rows(game),
        total_value=announced_value(game),
        winners=winners,
        labels=labels,
        version=game.version(),
        chain_draws=head[0],
        chain_head=head[1],
        base_path=base_path,
    )


def render_missing(game_id: str) -> str:
    return _env.get_template("missing.html").render(game_id=game_id)
