"""`python -m bot loyalty tiers [--dry-run]`: apply the tier policy and print the changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalty.tiers import reevaluate

if TYPE_CHECKING:
    from bot.settings import Settings


async def run_tiers(settings: Settings, *, dry_run: bool) -> int:
    from bot.content.loader import ContentError, load_content
    from bot.db import close_db, init_db

    try:
        config = load_content(settings.CONTENT_PATH).loyalty
    except ContentError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    await init_db(settings.DATABASE_URL)
    try:
        changes = await reevaluate(config, dry_run=dry_run)
    finally:
        await close_db()
    prefix = "would change" if dry_run else "changed"
    for change in changes:
        print(f"{prefix} {change}")
    print(f"{len(changes)} tier change(s), policy {config.tier_policy.mode}")
    return 0
