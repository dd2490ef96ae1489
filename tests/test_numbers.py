"""numbers.ascii_int: the one rule for whole numbers from clients, as one table of cases."""
from __future__ import annotations

import pytest

from syndicate.numbers import ROW_ID_MAX, ascii_int


@pytest.mark.parametrize("raw, minimum, maximum, expected", [
    ("0", 0, ROW_ID_MAX, 0),
    ("7", 1, 999_999, 7),
    ("999999", 1, 999_999, 999_999),
    (str(ROW_ID_MAX), 0, ROW_ID_MAX, ROW_ID_MAX),
    (str(ROW_ID_MAX + 1), 0, ROW_ID_MAX, None),  # past an INTEGER column: never a row
    ("1000000", 1, 999_999, None),
    ("0", 1, 999_999, None),
    ("01", 0, ROW_ID_MAX, None),  # one spelling per number
    ("²", 0, ROW_ID_MAX, None),  # isdigit() is true, int() refuses it
    ("١٢", 0, ROW_ID_MAX, None),  # other scripts' digits: int() takes them, we do not
    (" 1", 0, ROW_ID_MAX, None),
    ("1_0", 0, ROW_ID_MAX, None),
    ("+1", 0, ROW_ID_MAX, None),
    ("-1", 0, ROW_ID_MAX, None),
    ("1e3", 0, ROW_ID_MAX, None),
    ("", 0, ROW_ID_MAX, None),
    (None, 0, ROW_ID_MAX, None),
    ("9" * 5000, 0, 10**18 - 1, None),  # refused by length, before int() parses it
])
def test_ascii_int(raw, minimum, maximum, expected):
    assert ascii_int(raw, minimum, maximum) == expected
