"""Human-typed codes (vouchers, member codes) with a check character.

The alphabet leaves out 0/O, 1/I/L so codes survive being read aloud or typed from a screen.
It has 31 symbols, a prime, so a position-weighted sum mod 31 catches every single wrong
character and every swap of two characters: staff get "typo" instead of "not found".
"""

from __future__ import annotations

import secrets
from random import Random

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_BASE = len(ALPHABET)  # 31
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
VOUCHER_LENGTH = 9  # + 1 check character
MEMBER_LENGTH = 7  # + 1 check character
MIN_LENGTH, MAX_LENGTH = 6, 12  # payload lengths accepted by is_valid


def check_char(payload: str) -> str:
    """Weights 2..n+1 for the payload and 1 for the check character, all distinct mod 31."""
    total = sum((i + 2) * _INDEX[ch] for i, ch in enumerate(payload))
    return ALPHABET[(-total) % _BASE]


def generate(length: int = VOUCHER_LENGTH, rng: Random | None = None) -> str:
    """A random payload of `length` characters followed by its check character."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"length must be {MIN_LENGTH}..{MAX_LENGTH}")
    pick = rng.choice if rng is not None else secrets.choice
    payload = "".join(pick(ALPHABET) for _ in range(length))
    return payload + check_char(payload)


def normalize(code: str) -> str:
    """Upper-case and drop the spaces and dashes people add when typing a code."""
    return "".join(ch for ch in code.upper() if ch not in " -_.\t")


def is_valid(code: str) -> bool:
    code = normalize(code)
    if not MIN_LENGTH + 1 <= len(code) <= MAX_LENGTH + 1:
        return False
    if any(ch not in _INDEX for ch in code):
        return False
    return check_char(code[:-1]) == code[-1]
