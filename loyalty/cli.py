"""`python -m bot loyalty tiers [--dry-run]`: apply the tier policy and print the changes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from loyalty.config import LoyaltyConfig
from loyalty.tiers import reevaluate

if TYPE_CHECKING:
    from bot.settings import Settings


def load_loyalty_config(path: Path) -> LoyaltyConfig:
    """The `loyalty:` section of the content file (validated)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return LoyaltyConfig.model_validate(data.get("loyalty") or {})


async def run_tiers(settings: Settings, *, dry_run: bool) -> int:
    from bot.db import close_db, init_db

    config = load_loyalty_config(Path(settings.CONTENT_PATH))
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
