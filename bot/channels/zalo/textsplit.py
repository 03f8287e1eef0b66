"""Cutting long text into Zalo-sized pieces on paragraph, line or word boundaries.

Lengths are counted after NFC normalization, as Zalo counts them: Vietnamese typed on some
keyboards arrives decomposed (NFD) and would otherwise look up to three times longer.
"""

from __future__ import annotations

import unicodedata

SEPARATORS = ("\n\n", "\n", " ")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _hard_cut(text: str, limit: int) -> int:
    """`limit`, moved back so a combining mark is never separated from its letter."""
    cut = limit
    while cut > 1 and unicodedata.combining(text[cut]):
        cut -= 1
    return cut


def _cut(text: str, limit: int) -> int:
    """Where to end the first piece of `text` (longer than `limit`)."""
    if text[limit].isspace():
        return limit
    for sep in SEPARATORS:
        at = text.rfind(sep, 0, limit)
        if at >= limit // 4:  # do not leave a tiny first piece for a distant boundary
            return at
    return _hard_cut(text, limit)


def split_text(text: str, limit: int) -> list[str]:
    """NFC pieces of at most `limit` characters, whitespace at the cuts dropped."""
    text = nfc(text).strip()
    pieces: list[str] = []
    while len(text) > limit:
        cut = _cut(text, limit)
        head = text[:cut].rstrip()
        if head:
            pieces.append(head)
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def split_tail(text: str, limit: int) -> tuple[str, str]:
    """(head, tail) with `tail` at most `limit` characters, cut at the earliest good boundary
    inside the last `limit` characters (so the tail is as long as allowed)."""
    text = nfc(text).strip()
    if len(text) <= limit:
        return "", text
    start = len(text) - limit
    for sep in SEPARATORS:
        at = text.find(sep, start)
        if at != -1:
            return text[:at].rstrip(), text[at:].strip()
    cut = start
    while cut < len(text) - 1 and unicodedata.combining(text[cut]):
        cut += 1
    return text[:cut], text[cut:]


def split_title(text: str, limit: int) -> tuple[str, str]:
    """(title, rest): the first line when it fits, else the words that fit."""
    text = nfc(text).strip()
    first, sep, rest = text.partition("\n")
    if len(first) <= limit:
        return first.strip(), rest.strip()
    at = first.rfind(" ", 0, limit + 1)
    cut = at if at > 0 else _hard_cut(first, limit)
    return first[:cut].strip(), (first[cut:] + sep + rest).strip()
