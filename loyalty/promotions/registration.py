"""Does a campaign's announced prize value reach the registration threshold?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from games.config import Game


def announced_value(game: Game) -> int:
    """Stock × unit value over the prizes with stock (what the rules announce)."""
    return sum((p.stock or 0) * (p.unit_value or 0) for p in game.prizes if not p.is_no_prize)


@dataclass(frozen=True, slots=True)
class Registration:
    threshold: int
    announced_value: int

    @property
    def required(self) -> bool:
        return self.announced_value >= self.threshold

    def warning(self, game_id: str) -> str | None:
        if not self.required:
            return None
        return (
            f"game {game_id}: prizes announced for {self.announced_value:,} VND reach the "
            f"registration threshold of {self.threshold:,} VND: register the promotion with "
            "the Department (or Ministry) of Industry and Trade before it runs"
        ).replace(",", ".")


def registration(game: Game, threshold: int) -> Registration:
    return Registration(threshold, announced_value(game))


def warnings(games: Iterable[Game], threshold: int) -> list[str]:
    """One line per campaign that must be registered (for `config check` and the console)."""
    found = (registration(g, threshold).warning(g.id) for g in games)
    return [w for w in found if w is not None]
