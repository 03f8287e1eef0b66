"""`python -m bot journeys preview ID`: who a journey would enter now, and how many."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

SAMPLE = 20


async def run_preview(settings: Settings, journey_id: str) -> int:
    """Exit 0 with `<id>: N would enter now` and up to 20 members; 1 for an unknown id or a
    broken content file."""
    from bot.content.errors import ContentError
    from bot.content.loader import load_content
    from bot.db import close_db, init_db
    from bot.journeys.metrics import preview
    from bot.journeys.spec import compile_plan
    from loyalty.clock import utcnow

    try:
        content = load_content(settings.CONTENT_PATH)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    journey = next((j for j in content.journeys if j.id == journey_id), None)
    if journey is None:
        known = ", ".join(j.id for j in content.journeys) or "none"
        print(
            f"error: no journey {journey_id!r} in the content file (known: {known})",
            file=sys.stderr,
        )
        return 1
    plan = compile_plan(journey)
    await init_db(settings.DATABASE_URL)
    try:
        count, shown = await preview(plan, utcnow(), sample=SAMPLE)
    finally:
        await close_db()
    trigger = journey.trigger
    if trigger.event is not None and trigger.event not in (
        "birthday",
        "voucher_expiring",
        "joined_segment",
    ):
        print(f"{journey_id}: 0 would enter now (members enter on each {trigger.event} event)")
        return 0
    print(f"{journey_id}: {count} would enter now")
    for member in shown:
        print(f"  {member.member_code}\t{member.name or '-'}\t{member.phone or '-'}")
    if count > len(shown):
        print(f"  … and {count - len(shown)} more")
    return 0


def add_journeys_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], load: Callable[[], Settings]
) -> None:
    """The `journeys` command group; `load` reads the settings (exit 2 when they are bad)."""
    group = sub.add_parser("journeys", help="automated journeys").add_subparsers(
        dest="journeys", required=True
    )
    show = group.add_parser("preview", help="who a journey would enter now, and how many")
    show.add_argument("journey_id")
    show.set_defaults(func=lambda a: asyncio.run(run_preview(load(), a.journey_id)))
