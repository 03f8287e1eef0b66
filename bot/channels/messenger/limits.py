"""Messenger's size limits (shared/reference/messenger.md §2–3) and the cutting helpers.

Lengths count characters after NFC normalisation: decomposed Vietnamese (e + combining marks)
would otherwise count two or three times.
"""

from __future__ import annotations

import unicodedata

TEXT_MAX = 2000
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
BUTTON_TITLE_MAX = 20
BUTTONS_MAX = 3
BUTTON_TEXT_MAX = 640
PAYLOAD_MAX = 1000
CARDS_MAX = 10
CARD_TITLE_MAX = 80
CARD_SUBTITLE_MAX = 80
GREETING_MAX = 160
MENU_TITLE_MAX = 30
METADATA_MAX = 1000
ELLIPSIS = "…"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters; a cut text ends with `…` (one character)."""
    text = nfc(text).strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Cut into chunks of at most `limit`, preferring paragraph, line, then word boundaries.

    A single word longer than `limit` (a long URL) is cut where it must be.
    """
    rest = nfc(text).strip()
    chunks: list[str] = []
    while len(rest) > limit:
        window = rest[: limit + 1]  # a boundary right after the limit still counts
        cut = limit
        for sep in ("\n\n", "\n", " "):
            found = window.rfind(sep)
            if found > limit // 4:  # not so early that the chunk is tiny
                cut = found
                break
        chunk, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if chunk:
            chunks.append(chunk)
    if rest:
        chunks.append(rest)
    return chunks
