"""`python -m bot import members|orders FILE` and `python -m bot segments refresh`.

The glue between the command line, the settings and content file, and `loyalty.imports` /
`loyalty.segments`, which do the work.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.content.errors import ContentError
from bot.content.loader import display_path, load_content
from bot.content.schema import Content
from bot.settings import Settings


def _content(settings: Settings) -> Content | None:
    try:
        return load_content(settings.CONTENT_PATH)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None


async def run_import_command(
    settings: Settings,
    kind: str,
    path: Path,
    *,
    skip_bad: bool,
    dry_run: bool,
    award_points: bool,
    refresh: bool,
) -> int:
    from bot.db import close_db, init_db
    from loyalty.imports.run import run_import

    content = _content(settings)
    if content is None:
        return 1
    await init_db(settings.DATABASE_URL)
    try:
        outcome = await run_import(
            kind,  # type: ignore[arg-type]
            path,
            config=content.loyalty,
            spec=content.segment_spec() if refresh else None,
            skip_bad=skip_bad,
            dry_run=dry_run,
            award_points=award_points,
            shown=display_path(path),
        )
    finally:
        await close_db()
    return outcome.exit_code


async def run_segments_refresh(settings: Settings) -> int:
    from bot.db import close_db, init_db
    from loyalty.segments.refresh import refresh_all

    content = _content(settings)
    if content is None:
        return 1
    await init_db(settings.DATABASE_URL)
    try:
        counts = await refresh_all(content.segment_spec())
    finally:
        await close_db()
    for segment_id, members in counts.items():
        print(f"{segment_id} {members}")
    return 0
