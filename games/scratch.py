"""Scratch cards: the outcome is drawn and stored when the card is dealt, before any reveal.

Scratching is cosmetic. The Mini App canvas uncovers the pre-rendered result image under the
coating and auto-reveals past `REVEAL_FRACTION`; the prize is claimed with the server's play
id, never by what the client reports about scratching.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from games.config import Game
from games.draw import Availability, Outcome, draw

# Share of the coating scratched off after which the client shows the whole card. OSS
# scratch widgets use 40-70%; half keeps it playful without making people scrub.
REVEAL_FRACTION = 0.5


@dataclass(frozen=True, slots=True)
class ScratchCard:
    """A dealt card: the hidden outcome and the texts its two images need."""

    game_id: str
    outcome: Outcome
    prize_label: str


def deal(game: Game, rng: random.Random, available: Availability) -> ScratchCard:
    """Draw the card's outcome now; store it with the play before sending the covered image."""
    if game.type != "scratch":
        raise ValueError(f"game {game.id!r} is a {game.type}, not a scratch card")
    outcome = draw(game, rng, available)
    return ScratchCard(game.id, outcome, game.prize(outcome.prize_id).label)


def should_reveal(scratched_fraction: float) -> bool:
    """Whether a client that scratched this share of the coating should show everything."""
    return scratched_fraction >= REVEAL_FRACTION
