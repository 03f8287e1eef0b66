"""`Text`: what the user typed, compared after `fold()`.

Case, spacing and Vietnamese accents are ignored, so `Text(equals="bắt đầu")` matches
"Bat Dau", "bắt  đầu" and "BẮT ĐẦU". Events without a `text` never match.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.events import Event
from bot.core.filters.base import Filter
from bot.core.text import fold

Strings = str | Iterable[str]


def _folded(value: Strings | None, what: str, *, allow_empty: bool) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    if not items:
        raise ValueError(f"Text({what}=...) needs at least one string")
    folded = tuple(fold(item) for item in items)
    if not allow_empty and "" in folded:
        raise ValueError(f"Text({what}=...) has an empty string, which would match everything")
    return folded


class Text(Filter):
    """Every given condition must hold; each accepts one string or several (any of them).

    :param equals: the folded text is one of these
    :param in_: same as `equals`, reads better with a list of keywords
    :param contains: the folded text contains one of these
    :param startswith: the folded text starts with one of these
    :param endswith: the folded text ends with one of these
    """

    def __init__(
        self,
        *,
        equals: Strings | None = None,
        in_: Iterable[str] | None = None,
        contains: Strings | None = None,
        startswith: Strings | None = None,
        endswith: Strings | None = None,
    ) -> None:
        self.equals = _folded(equals, "equals", allow_empty=True)
        self.in_ = _folded(in_, "in_", allow_empty=True)
        self.contains = _folded(contains, "contains", allow_empty=False)
        self.startswith = _folded(startswith, "startswith", allow_empty=False)
        self.endswith = _folded(endswith, "endswith", allow_empty=False)
        given = (self.equals, self.in_, self.contains, self.startswith, self.endswith)
        if all(value is None for value in given):
            raise ValueError("Text() needs equals, in_, contains, startswith or endswith")

    def __call__(self, event: Event) -> bool:
        text = getattr(event, "text", None)
        if not isinstance(text, str):
            return False
        folded = fold(text)
        return (
            (self.equals is None or folded in self.equals)
            and (self.in_ is None or folded in self.in_)
            and (self.contains is None or any(part in folded for part in self.contains))
            and (self.startswith is None or folded.startswith(self.startswith))
            and (self.endswith is None or folded.endswith(self.endswith))
        )

    def __repr__(self) -> str:
        fields = ("equals", "in_", "contains", "startswith", "endswith")
        given = ", ".join(f"{f}={getattr(self, f)!r}" for f in fields if getattr(self, f))
        return f"Text({given})"
