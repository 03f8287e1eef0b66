"""Text folding for matching what people type against keywords.

Vietnamese users type with or without diacritics ("Bắt đầu", "bat dau"), in any case and with
stray spaces; keywords and filters compare folded forms so all of these match one rule.
"""

from __future__ import annotations

import unicodedata

_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})  # đ has no decomposition, so map it by hand


def fold(text: str) -> str:
    """Return `text` without accents, case or extra whitespace: "Bắt  Đầu " -> "bat dau"."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().translate(_LETTERS).split())
