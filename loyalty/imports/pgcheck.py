"""The values of an import file checked and converted in PostgreSQL, set-based.

Each function returns a SQL expression over raw text (`COPY`ed as the file has it) that
gives the converted value, or NULL when the value is not in one of the common forms this
fast path knows. Those rows go through the Python parser (`loyalty.imports.values`) as
before, which either reads an unusual form or writes the `FILE:ROW column: …` line: so
the fast path only ever accepts what the Python parser reads to the same value, and every
error line is the Python one. The forms: phones `09…`, `84…`, `+84 9…`, `0084…`, a bare
`912345678`, with spaces, dots, dashes, parentheses; amounts `1250000`, `1.250.000`,
`1,250,000`; dates `YYYY-MM-DD` and `DD/MM/YYYY` with an optional `HH:MM[:SS]`; statuses
written in ASCII; text that is NFC already (what every export writes).
"""

from __future__ import annotations

from loyalty.imports.values import STATUS_WORDS

# The characters Python's str.strip() removes (str.isspace()), as a SQL literal for btrim.
_WS = "'" + "".join(chr(i) for i in range(1, 0x3001) if chr(i).isspace()) + "'"
_NSN = "([35789][0-9]{8}|2[0-9]{9})"
VN = "'Asia/Ho_Chi_Minh'"


def trimmed(col: str) -> str:
    """`col` stripped of exactly what Python's str.strip() strips."""
    return f"btrim({col}, {_WS})"


def empty(col: str) -> str:
    """The cell is absent or only spaces (Python's `text()` would give '')."""
    return f"({col} IS NULL OR {trimmed(col)} = '')"


def plain(col: str) -> str:
    """Text whose Python `text()` is its `trimmed`: NFC already (what exports write)."""
    return f"({col} IS NULL OR {col} IS NFC NORMALIZED)"


def text(col: str) -> str:
    """The value of a `plain` cell (NULL when empty)."""
    return f"NULLIF({trimmed(col)}, '')"


def phone(col: str) -> str:
    """`84…` as `normalize_phone` writes it, for the common forms."""
    t = trimmed(col)
    digits = f"regexp_replace({t}, '[ .()-]', '', 'g')"
    return (
        f"CASE WHEN {t} ~ '^0[35789][0-9]{{8}}$' THEN '84' || substr({t}, 2)"
        f" WHEN {t} !~ '^[0-9 .()+-]+$' THEN NULL"
        f" WHEN {t} ~ '^[35789][0-9]{{8}}$' THEN '84' || {t}"
        f" ELSE '84' || COALESCE(substring({digits} from '^(?:\\+|00)?840?{_NSN}$'),"
        f" substring({digits} from '^0{_NSN}$')) END"
    )


def amount(col: str, low: int, high: int) -> str:
    """Whole VND (or points) in `low..high`; grouped by `.` or `,`, or bare digits."""
    t = trimmed(col)
    value = f"CAST(translate({t}, ',.', '') AS BIGINT)"
    grouped = "^([0-9]{1,3}(,[0-9]{3}){1,5}|[0-9]{1,3}(\\.[0-9]{3}){1,5}|[0-9]{1,15})$"
    return (
        f"CASE WHEN {t} ~ '{grouped}' THEN"
        f" CASE WHEN {value} BETWEEN {low} AND {high} THEN {value} END END"
    )


# The common date forms, checked without capture groups (PostgreSQL's `regexp_match` costs
# tens of microseconds a row), then cut with split_part. Other separators (`25.03.2024`,
# `2024-03-25T14:30`) are Python's.
_DMY_FAST = "^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?$"
_YMD_FAST = "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?)?$"


def date_form(col: str) -> str:
    """'d' (DD/MM/YYYY…), 'y' (YYYY-MM-DD…) or NULL, for a fenced subquery."""
    t = trimmed(col)
    return f"CASE WHEN {t} ~ '{_DMY_FAST}' THEN 'd' WHEN {t} ~ '{_YMD_FAST}' THEN 'y' END"


def parts(col: str, form: str) -> str:
    """year, month, day, hour, minute, second as an int array (NULL: no common form)."""
    t = trimmed(col)
    day, clock = f"split_part({t}, ' ', 1)", f"split_part({t}, ' ', 2)"
    hms = (
        f"COALESCE(NULLIF(split_part({clock}, ':', 1), ''), '0'),"
        f" COALESCE(NULLIF(split_part({clock}, ':', 2), ''), '0'),"
        f" COALESCE(NULLIF(split_part(split_part({clock}, ':', 3), '.', 1), ''), '0')"
    )

    def arr(sep: str, y: int, mo: int, d: int) -> str:
        cut = [f"split_part({day}, '{sep}', {i})" for i in (y, mo, d)]
        return f"CAST(ARRAY[{', '.join(cut)}, {hms}] AS INT[])"

    return f"CASE {form} WHEN 'd' THEN {arr('/', 3, 2, 1)} WHEN 'y' THEN {arr('-', 1, 2, 3)} END"


def timestamp(p: str) -> str:
    """The wall-clock time in array `p` (from `parts`), NULL unless it is a real
    date and time (Python's `datetime()` would raise otherwise)."""
    valid = (
        f"{p}[1] >= 1 AND {p}[2] BETWEEN 1 AND 12 AND {p}[3] >= 1"
        f" AND {p}[4] <= 23 AND {p}[5] <= 59 AND {p}[6] <= 59"
    )
    last_day = f"EXTRACT(DAY FROM make_date({p}[1], {p}[2], 1) + INTERVAL '1 month - 1 day')"
    return (
        f"CASE WHEN {p} IS NOT NULL AND {valid} THEN CASE WHEN {p}[3] <= {last_day}"
        f" THEN make_timestamp({p}[1], {p}[2], {p}[3], {p}[4], {p}[5], {p}[6]) END END"
    )


def moment(p: str) -> str:
    """As `values.moment`: the time is Vietnam's, the result a UTC instant."""
    return f"({timestamp(p)}) AT TIME ZONE {VN}"


def utc_iso(ts: str) -> str:
    """`datetime.isoformat()` of a whole-second UTC instant: `2026-11-20T07:30:00+00:00`."""
    return f"to_char({ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+00:00'"


def status(col: str) -> str:
    """paid / refunded / cancelled from the ASCII words (accented ones go to Python)."""
    t = f"lower({trimmed(col)})"
    cases = " ".join(
        f"WHEN {t} IN ({', '.join(repr(w) for w in words)}) THEN '{name}'"
        for name, words in STATUS_WORDS.items()
        if all(w.isascii() for w in words)
    )
    return f"CASE WHEN {empty(col)} THEN 'paid' WHEN {col} ~ '^[ -~]*$' THEN CASE {cases} END END"


def member_code(col: str) -> str:
    """A code written as the card shows it (letters and digits only), upper-cased."""
    t = trimmed(col)
    return f"CASE WHEN {t} ~ '^[A-Za-z0-9]{{1,13}}$' THEN upper({t}) END"


def new_code(alphabet: str, length: int) -> tuple[str, str]:
    """(random digits array, code from it): `codes.generate`'s payload and check character.

    The first expression goes in a fenced subquery (`OFFSET 0`) so each row draws once."""
    draws = ", ".join("CAST(floor(random() * 31) AS INT)" for _ in range(length))
    a = f"'{alphabet}'"
    chars = " || ".join(f"substr({a}, d[{i}] + 1, 1)" for i in range(1, length + 1))
    total = " + ".join(f"{i + 1} * d[{i}]" for i in range(1, length + 1))
    check = f"substr({a}, ((-({total})) % 31 + 31) % 31 + 1, 1)"
    return f"ARRAY[{draws}]", f"{chars} || {check}"
