"""Reading JSON that people and other tools send, fast and without losing a digit.

orjson is several times faster than the standard library, but reads an integer longer
than 64 bits as a float, silently rounding it. A text with such a long run of digits is
read by the standard library instead, which keeps every integer exactly; the bounds of
every door (smarketing.records.bounds) then refuse integers past 64 bits by name.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

#: A run of 19 or more digits that is not part of a fraction or an exponent.
_LONG_INTEGER = re.compile(rb"(?<![\d.eE])-?\d{19,}(?![\d.eE])")

JSONDecodeError = orjson.JSONDecodeError


def loads(data: bytes | str) -> Any:
    """Parse JSON; integers are read exactly whatever their size. Raises JSONDecodeError
    (a ValueError) for text that is not JSON."""
    raw = data.encode() if isinstance(data, str) else data
    if _LONG_INTEGER.search(raw) is None:
        return orjson.loads(raw)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise orjson.JSONDecodeError(exc.msg, exc.doc, exc.pos) from None
