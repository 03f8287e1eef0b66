"""The speed settings reach what they tune: `PRIZE_STOCK_SHARDS` (the content file's prizes
are spread over that many stock rows when the app starts), `INGEST_BATCHES_IN_FLIGHT` and
`INGEST_BATCH_MIN_ROWS` (the webhook group commit; SQLite always writes one batch at a
time), `INGEST_SQLITE_WRITER` (the writer's own tests: `pipeline/test_sqlite_writer.py`)
and `WARM_RENDERS` (the campaign images drawn before the first players ask)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import build_app
from bot.runtime import RUNTIME
from bot.settings import Settings, SettingsError
from loyalty.models import PrizeStock
from loyalty.stock import totals


async def test_the_app_starts_with_the_stock_in_shards_and_its_batch_bound(
    aiohttp_client: Any,
    clean_db: str,
    make_settings: Callable[..., Settings],
    is_postgres: bool,
) -> None:
    settings = make_settings(
        PRIZE_STOCK_SHARDS=3, INGEST_BATCHES_IN_FLIGHT=5, INGEST_BATCH_MIN_ROWS=3
    )
    client = await aiohttp_client(build_app(settings))
    runtime = client.app[RUNTIME]
    game = next(g for g in runtime.content.current.games if g.id == "lucky-wheel")
    prize = next(p for p in game.prizes if p.stock is not None and p.stock >= 3)
    rows = await PrizeStock.filter(game_id=game.id, prize_id=prize.id).order_by("shard")
    assert [r.shard for r in rows] == [0, 1, 2]
    assert max(r.remaining for r in rows) - min(r.remaining for r in rows) <= 1
    row = await totals(game.id, prize.id)
    assert row is not None and (row.remaining, row.awarded) == (prize.stock, 0)
    assert runtime.ingest is not None
    assert runtime.ingest.commit.max_inflight == (5 if is_postgres else 1)
    assert runtime.ingest.commit.min_rows == 3
    ready = await (await client.get("/readyz")).json()
    assert ready["ingest"]["min_rows"] == 3


@pytest.mark.parametrize(
    "name,value",
    [
        ("PRIZE_STOCK_SHARDS", 0),
        ("INGEST_BATCHES_IN_FLIGHT", "nhiều"),
        ("INGEST_BATCH_MIN_ROWS", 0),
        ("INGEST_SQLITE_WRITER", "có lẽ"),
        ("INGEST_HANDLER_SHARE", 0),
        ("INGEST_HANDLER_SHARE", 1.5),
        ("WARM_RENDERS", "có lẽ"),
    ],
)
def test_bad_tuning_values_name_the_setting(
    make_settings: Callable[..., Settings], name: str, value: object
) -> None:
    with pytest.raises(SettingsError, match=f"setting {name}="):
        make_settings(**{name: value})


def test_freeze_heap_freezes_start_up_objects_and_collects_the_young_less_often() -> None:
    """What `serve` and `worker` call once started (tests restore the interpreter after)."""
    import gc

    from bot.runtime import GC_YOUNG_THRESHOLD, Runtime

    before = gc.get_threshold()
    try:
        Runtime.freeze_heap()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
        assert before[0] < GC_YOUNG_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_the_handlers_process_draws_the_campaign_images_ahead(
    aiohttp_client: Any, clean_db: str, make_settings: Callable[..., Settings]
) -> None:
    from games.render import media

    client = await aiohttp_client(build_app(make_settings(WARM_RENDERS=True)))
    runtime = client.app[RUNTIME]
    assert runtime.warming is not None  # in-process: the handlers run in this process
    drawn = await asyncio.wait_for(asyncio.shield(runtime.warming), 120)
    content = runtime.content.current
    wheel = next(g for g in content.games if g.type == "wheel")
    assert drawn >= 1 + 2 * len(wheel.prizes)  # the wheel's face, a spin and still per slice
    cache = runtime.render_cache
    before = cache.renders
    for index in range(len(wheel.prizes)):
        assert not (await media.wheel_spin(cache, wheel, index)).gif.rendered
    assert cache.renders == before  # the first players get a drawn image at once
    # The admin edits a campaign: a new version, drawn again after the reload (only it).
    path = runtime.settings.CONTENT_PATH
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'type: scratch\n    title: "Cào thẻ trúng quà"',
            'type: scratch\n    title: "Cào thẻ Tết"',
        ),
        encoding="utf-8",
    )
    assert await runtime.content.check(settle=False)
    scratch = next(g for g in runtime.content.current.games if g.type == "scratch")
    assert scratch.title == "Cào thẻ Tết"
    redrawn = await asyncio.wait_for(asyncio.shield(runtime.warming), 120)
    assert redrawn == 1 + len(scratch.prizes)  # its cover and reveals; the wheel is unchanged
    off = await aiohttp_client(build_app(make_settings(WARM_RENDERS=False)))
    assert off.app[RUNTIME].warming is None
