from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.cli import run_tiers
from bot.content.loader import load_content
from bot.db import close_db, init_db
from bot.settings import Settings
from loyalty import orders
from loyalty.models import Member
from tests.loyalty.conftest import new_member, vn


async def test_tiers_dry_run_prints_changes_and_writes_nothing(
    clean_db: str, make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings()
    config = load_content(settings.CONTENT_PATH).loyalty
    assert config.tier_policy.mode == "yearly"  # the demo content's policy
    silver = next(t for t in config.tiers if t.min_points > 0)
    await init_db(clean_db)
    try:
        member = await new_member()
        amount = silver.min_points * config.vnd_per_point
        await orders.record_order(
            "old", amount, member_code=member.member_code, config=config, now=vn(2020, 6, 1)
        )
    finally:
        await close_db()

    assert await run_tiers(settings, dry_run=True) == 0
    out = capsys.readouterr().out
    assert f"would change {member.member_code}: {silver.name} -> {config.tiers[0].name}" in out
    await init_db(clean_db)
    try:
        assert (await Member.get(id=member.id)).tier == silver.name
    finally:
        await close_db()


async def test_tiers_refuses_a_broken_content_file(
    clean_db: str, make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings()
    settings.CONTENT_PATH.write_text("loyalty: [oops\n", encoding="utf-8")
    assert await run_tiers(settings, dry_run=True) == 1
    assert "content.yaml:" in capsys.readouterr().out
