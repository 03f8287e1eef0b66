"""JSON on the webhook's hot path: orjson when it can, the standard library when it cannot.

orjson parses and writes several times faster, which matters when every webhook is parsed
once and stored once. It is stricter (no NaN), so anything it refuses goes through `json` and
gets exactly the old behaviour. It also reads integers beyond 64 bits as floats, silently;
a body with a run of 20 digits, or of 19 after a minus sign (where such an integer could
hide), goes through `json` too, which keeps every digit. Platform ids are shorter (Zalo's are
19 digits, as strings).
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is in requirements.lock
    orjson = None  # type: ignore[assignment]


# Beyond 64 bits: 20 digits, or 19 after a minus sign (below -9223372036854775808). A regex
# for that backtracks through every run of digits (7 µs on a webhook body with 19-digit ids,
# more than orjson's whole parse); mapping every digit to "0", "-" to itself and anything
# else to a space, then looking for the two runs, is one C pass and two substring searches.
_DIGITS_ONLY = bytes(
    0x30 if 0x30 <= b <= 0x39 else (0x2D if b == 0x2D else 0x20) for b in range(256)
)


def _long_digits(raw: bytes | str) -> bool:
    """Does `raw` hold a run of digits orjson would read as a float (were it a number)?

    Digits inside strings count too: a false alarm only costs the slower parser. UTF-8
    multi-byte sequences never contain ASCII digits or "-", so text is checked as its bytes.
    """
    data = raw.encode(errors="surrogatepass") if isinstance(raw, str) else raw
    mapped = data.translate(_DIGITS_ONLY)
    return b"00000000000000000000" in mapped or b"-0000000000000000000" in mapped


def loads(raw: bytes | str) -> Any:
    """Parse JSON; raises ValueError (like `json.loads`) when it is not JSON."""
    if orjson is not None and not _long_digits(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # maybe only too strict for orjson: let json decide
    try:
        return json.loads(raw)
    except RecursionError:  # nested deeper than the interpreter's stack: not ours to read
        raise ValueError("JSON nested too deeply") from None


def dumps(value: Any) -> str:
    """Compact JSON text with non-ASCII kept as is (what the inbox stores)."""
    return dumps_bytes(value).decode()


def dumps_strict(value: Any) -> bytes:
    """orjson's bytes with no fallback: raises (TypeError/ValueError) on what orjson refuses
    (lone surrogates, nesting deeper than 254, integers beyond 64 bits, unknown types)."""
    if orjson is None:  # pragma: no cover - orjson is in requirements.lock
        return dumps_bytes(value)
    return orjson.dumps(value)


def dumps_bytes(value: Any) -> bytes:
    """`dumps` as UTF-8 bytes, for a pipe or a socket (no round trip through `str`)."""
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:
            pass
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
