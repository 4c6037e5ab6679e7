"""Cursor pagination of the API lists (pure: no database, no web framework).

A list is read in primary-key order, `limit + 1` rows at a time ("keyset" pagination):
the extra row only tells whether there is a next page. The cursor handed to the client
is the last key of the page, wrapped as URL-safe base64 of a small JSON object, so it
is opaque to clients (they pass it back, never build it) and a page stays correct while
rows are added: every row that existed when the walk began is seen exactly once.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from smarketing.core.errors import ValidationError

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
CURSOR_MAX_LENGTH = 1000

Key = int | str
Row = TypeVar("Row")


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for: at most `limit` rows with a key greater than `after`."""

    limit: int
    after: Key | None

    @property
    def fetch(self) -> int:
        """How many rows to read: one more than the page, to know whether more follow."""
        return self.limit + 1


@dataclass(frozen=True)
class Page(Generic[Row]):
    items: list[Row]
    next_cursor: str | None


def encode_cursor(after: Key) -> str:
    text = json.dumps({"after": after}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, key_type: type[int] | type[str]) -> Key:
    """The key a cursor points after; ValidationError naming `cursor` when it is not one
    of ours (or belongs to a list keyed by another type)."""
    bad = ValidationError("cursor: not a cursor from this list; use the next_cursor of the "
                          "previous page, or leave it out to start from the beginning")  # fmt: skip
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise bad
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise bad from None
    after = data.get("after") if isinstance(data, dict) else None
    if isinstance(after, bool) or not isinstance(after, key_type):
        raise bad
    return after


def check_limit(limit: int) -> int:
    if limit < 1 or limit > MAX_LIMIT:
        raise ValidationError(f"limit: must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def page_request(limit: int, cursor: str | None, key_type: type[int] | type[str] = int) -> (
    PageRequest
):
    """Validate the `limit` and `cursor` query parameters of a list."""
    after = decode_cursor(cursor, key_type) if cursor else None
    return PageRequest(limit=check_limit(limit), after=after)


def page_of(rows: Sequence[Row], request: PageRequest, key: Callable[[Row], Key]) -> Page[Row]:
    """The page out of `rows` (read with `request.fetch`, in key order) and its cursor."""
    items = list(rows[: request.limit])
    more = len(rows) > request.limit
    return Page(items, encode_cursor(key(items[-1])) if more and items else None)
