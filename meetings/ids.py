"""Integers read from text at the HTTP boundary (URL paths, query parameters, form fields).

Only ASCII digits count (Python's int() also reads "٣", " 3", "+3" and "1_0"), and only as many
as fit a 64-bit column: a larger id would overflow the query (a 500 on SQLite) instead of
finding nothing. Paths take ids through the `id` converter (registered in apps.py, 1-18 digits,
anything else is no match and so a 404); query parameters and form fields through `parse_int`, whose
InvalidInput the boundaries answer with 400.
"""

from __future__ import annotations

from collections.abc import Mapping

from .exceptions import InvalidInput

# Ids are 64-bit in every database we run on; zero or a negative number never names a row.
MAX_ID = 2**63 - 1
# Eighteen digits always fit 64 bits (10^18 - 1 < 2^63 - 1); no id we issue comes near it.
ID_PATTERN = "[0-9]{1,18}"


class IdConverter:
    """`<id:name>` in a URL pattern: 1-18 ASCII digits as an int."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def parse_int(raw: str, *, name: str, minimum: int = 0, maximum: int = MAX_ID, cap: int | None = None) -> int:
    """`raw` as an integer of ASCII digits from `minimum` to `maximum`; InvalidInput naming `name` otherwise.

    With `cap`, any larger number (however long) is read as `cap` instead of refused: a page size.
    """
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInput("%(name)s must be an integer written in the digits 0-9", params={"name": name})
    digits = raw.lstrip("0") or "0"
    ceiling = cap if cap is not None else maximum
    value = ceiling + 1 if len(digits) > len(str(ceiling)) else int(digits)
    if value < minimum:
        raise InvalidInput("%(name)s must be at least %(minimum)s", params={"name": name, "minimum": minimum})
    if value > ceiling:
        if cap is not None:
            return cap
        raise InvalidInput("%(name)s must be at most %(maximum)s", params={"name": name, "maximum": maximum})
    return value


def query_int(params: Mapping[str, str], name: str, *, default: int, minimum: int = 0, maximum: int = MAX_ID,
              cap: int | None = None) -> int:
    """The query parameter `name` (absent: `default`) through `parse_int`; an empty value is refused too."""
    raw = params.get(name)
    if raw is None:
        return default
    return parse_int(raw, name=name, minimum=minimum, maximum=maximum, cap=cap)
