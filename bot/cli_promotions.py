"""`python -m bot promotions …`: verify a campaign's draw log chain, seal waiting draws."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings


async def run_verify(settings: Settings, game_id: str) -> int:
    """Exit 0 `ok: N draws`; exit 1 naming the first broken entry."""
    from bot.db import close_db, init_db
    from loyalty.promotions.chain import verify

    await init_db(settings.DATABASE_URL)
    try:
        result = await verify(game_id)
    finally:
        await close_db()
    if result.broken is not None:
        print(f"broken: {game_id}: {result.broken.describe()} ({result.draws} draws before it ok)")
        return 1
    print(f"ok: {result.draws} draws (chain head {result.head})")
    return 0


async def run_seal(settings: Settings) -> int:
    from bot.db import close_db, init_db
    from loyalty.promotions.chain import seal_all

    await init_db(settings.DATABASE_URL)
    try:
        sealed = await seal_all()
    finally:
        await close_db()
    print(f"sealed: {sealed} draws")
    return 0


def add_promotions_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], load: Callable[[], Settings]
) -> None:
    """The `promotions` command group; `load` reads the settings (exit 2 when they are bad)."""
    group = sub.add_parser("promotions", help="chance promotions: draw log chain").add_subparsers(
        dest="promotions", required=True
    )
    check = group.add_parser("verify", help="check a campaign's draw log chain")
    check.add_argument("game_id")
    check.set_defaults(func=lambda a: asyncio.run(run_verify(load(), a.game_id)))
    seal = group.add_parser("seal", help="seal every waiting draw into its campaign's chain")
    seal.set_defaults(func=lambda a: asyncio.run(run_seal(load())))
