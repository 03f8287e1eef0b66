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
import re
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is in requirements.lock
    orjson = None  # type: ignore[assignment]


# Beyond 64 bits: 20 digits, or 19 after a minus sign (below -9223372036854775808).
_LONG_DIGITS = re.compile(rb"-[0-9]{19}|[0-9]{20}")
_LONG_DIGITS_STR = re.compile(r"-[0-9]{19}|[0-9]{20}")


def loads(raw: bytes | str) -> Any:
    """Parse JSON; raises ValueError (like `json.loads`) when it is not JSON."""
    long_digits = _LONG_DIGITS if isinstance(raw, bytes) else _LONG_DIGITS_STR
    if orjson is not None and not long_digits.search(raw):  # type: ignore[arg-type]
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # maybe only too strict for orjson: let json decide
    return json.loads(raw)


def dumps(value: Any) -> str:
    """Compact JSON text with non-ASCII kept as is (what the inbox stores)."""
    if orjson is not None:
        try:
            return orjson.dumps(value).decode()
        except TypeError:
            pass
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
