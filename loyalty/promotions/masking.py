"""Winners shown in public: never a whole name or phone number.

`Nguyễn Thành` → `Ng*** Th***`: each word keeps at most its first two letters, and always
fewer letters than it has, so even a two-letter word (`Lê` → `L***`) is never shown whole.
`84912345678` → `09*****678`: the national form, with everything but the first two and the
last three digits hidden.
"""

from __future__ import annotations

import unicodedata

HIDDEN = "***"


def mask_word(word: str) -> str:
    keep = min(2, len(word) - 1)
    return word[: max(keep, 0)] + HIDDEN if len(word) > 1 else HIDDEN


def mask_name(name: str | None) -> str:
    """The masked name; "" when there is none (the page shows a neutral label)."""
    if not name:
        return ""
    words = unicodedata.normalize("NFC", name).split()
    return " ".join(mask_word(w) for w in words)


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = "".join(c for c in phone if c.isdigit())
    if digits.startswith("84"):
        digits = "0" + digits[2:]
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 5) + digits[-3:]
