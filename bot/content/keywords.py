"""Keyword matching that ignores case, accents and punctuation ("Thẻ" = "the" = "THẺ!")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Protocol, TypeVar

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize(text: str) -> str:
    """Lowercase, strip Vietnamese accents (đ → d) and punctuation, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", plain).strip()


class _HasMatch(Protocol):
    @property
    def match(self) -> Sequence[str]: ...


K = TypeVar("K", bound=_HasMatch)


def find_keyword(keywords: Sequence[K], text: str) -> K | None:
    """The keyword for a message: a whole-message match first, else the longest phrase that
    appears as whole words in it (file order breaks ties)."""
    said = normalize(text)
    if not said:
        return None
    best: tuple[int, K] | None = None
    for keyword in keywords:
        for phrase in keyword.match:
            wanted = normalize(phrase)
            if not wanted:
                continue
            if wanted == said:
                return keyword
            if f" {wanted} " in f" {said} " and (best is None or len(wanted) > best[0]):
                best = (len(wanted), keyword)
    return best[1] if best else None
