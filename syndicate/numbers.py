"""Whole numbers from what clients send (a page, a row id, a cursor): one rule for all of them."""
from __future__ import annotations

# The largest value an INTEGER column holds: PostgreSQL refuses to compare one with anything past it.
ROW_ID_MAX = 2**31 - 1


def ascii_int(raw: str | None, minimum: int = 0, maximum: int = ROW_ID_MAX) -> int | None:
    """The number `raw` spells in ASCII digits, if it lies in [minimum, maximum]; otherwise None.

    One spelling per number: no sign, space, underscore or leading zero, which int() would
    accept; and no other digits, such as "²", whose isdigit() is true but which int() refuses.
    """
    if not raw or len(raw) > len(str(maximum)) or not (raw.isascii() and raw.isdigit()):
        return None
    if raw[0] == "0" and raw != "0":
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None
