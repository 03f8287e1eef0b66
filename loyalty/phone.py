"""Vietnamese phone numbers in one canonical form: `84` + the national number, digits only.

Zalo returns `84…`, people type `0…`, `+84 …` or `0912.345.678`: all of them must find the
same member, so every phone is normalized before it is stored or looked up.
"""

from __future__ import annotations

import re

from loyalty.errors import InvalidPhone

_SEPARATORS = re.compile(r"[\s.\-()]")
# National significant numbers: 9 digits for mobiles (3x, 5x, 7x, 8x, 9x),
# 10 digits for landlines (2xx area codes).
_NSN = re.compile(r"^(?:[35789]\d{8}|2\d{9})$")


def normalize_phone(raw: str) -> str:
    """`0912 345 678`, `+84912345678`, `0084-912-345-678` → `84912345678`.

    Raises `InvalidPhone` for anything that is not a Vietnamese mobile or landline number.
    A bare national number without its leading 0 is rejected: it is ambiguous.
    """
    if not isinstance(raw, str):
        raise InvalidPhone("phone must be a string")
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("84"):
            raise InvalidPhone("only Vietnamese (+84) numbers are accepted")
    elif digits.startswith("0084"):
        digits = digits[2:]
    if not digits.isdigit():
        raise InvalidPhone("a phone number has only digits, spaces, dots, dashes and +")
    if digits.startswith("84"):
        nsn = digits[2:]
        if nsn.startswith("0"):  # "+84 0912…", a common slip
            nsn = nsn[1:]
    elif digits.startswith("0"):
        nsn = digits[1:]
    else:
        raise InvalidPhone("start the number with 0, 84 or +84")
    if not _NSN.match(nsn):
        raise InvalidPhone("not a valid Vietnamese phone number")
    return "84" + nsn


def is_phone_like(key: str) -> bool:
    """True when `key` looks like a phone (for look-ups by 'member code or phone')."""
    stripped = _SEPARATORS.sub("", key.strip()).lstrip("+")
    return stripped.isdigit() and len(stripped) >= 9


def mask_phone(phone: str) -> str:
    """`84912345678` → `0912***678`, for public winner lists and logs."""
    local = "0" + phone[2:] if phone.startswith("84") else phone
    return local[:4] + "***" + local[-3:] if len(local) > 7 else "***"
