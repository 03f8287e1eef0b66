"""`python -m bot config check [PATH]`: validate the content file before (or while) it is live."""

from __future__ import annotations

from pathlib import Path

from bot.content.errors import ContentError
from bot.content.loader import display_path, load_content
from loyalty.promotions.registration import warnings


def run_check(path: Path | None, default: Path) -> int:
    """Print `OK: <path>` and return 0, or print one line per problem and return 1.

    A campaign whose prizes reach the registration threshold is a warning (still exit 0).
    """
    target = path if path is not None else default
    try:
        content = load_content(target)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    for line in warnings(content.games, content.promotions.registration_threshold):
        print(f"warning: {display_path(target)}: {line}")
    print(f"OK: {display_path(target)}")
    return 0
