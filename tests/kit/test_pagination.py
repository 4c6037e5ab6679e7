"""Cursor pagination, pure: cursors, limits, pages, and a walk that sees every row once."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarketing.core.errors import ValidationError
from smarketing.kit.pagination import (
    MAX_LIMIT,
    PageRequest,
    decode_cursor,
    encode_cursor,
    page_of,
    page_request,
)


@pytest.mark.parametrize("key", [1, 2**40, "crm-1", "ids/with spaces/ñ", ""])
def test_a_cursor_decodes_to_the_key_it_was_made_from(key: int | str) -> None:
    cursor = encode_cursor(key)
    assert cursor.isascii()
    assert "=" not in cursor
    assert "/" not in cursor
    assert "+" not in cursor
    assert decode_cursor(cursor, type(key)) == key


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("cursor", [
    "garbage!", "%%%", _b64("not json"), _b64("[1]"), _b64('{"before": 3}'),
    _b64('{"after": true}'), _b64('{"after": "3"}'), _b64('{"after": 1.5}'), "x" * 2000,
])  # fmt: skip
def test_a_malformed_cursor_is_refused_naming_cursor(cursor: str) -> None:
    with pytest.raises(ValidationError, match=r"^cursor: "):
        decode_cursor(cursor, int)


def test_a_cursor_of_a_list_keyed_by_text_is_refused_by_a_list_keyed_by_ids() -> None:
    with pytest.raises(ValidationError, match=r"^cursor: "):
        decode_cursor(encode_cursor("crm-1"), int)


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1, 10_000])
def test_a_limit_out_of_range_is_refused_naming_limit(limit: int) -> None:
    with pytest.raises(ValidationError, match=rf"^limit: must be between 1 and {MAX_LIMIT}"):
        page_request(limit, None)


def test_a_page_request_reads_one_row_more_than_the_page() -> None:
    request = page_request(3, encode_cursor(7))
    assert request == PageRequest(limit=3, after=7)
    assert request.fetch == 4
    assert page_request(MAX_LIMIT, None) == PageRequest(limit=MAX_LIMIT, after=None)


def test_a_page_has_a_next_cursor_only_when_more_rows_follow() -> None:
    request = PageRequest(limit=2, after=None)
    full = page_of([1, 2, 3], request, lambda k: k)
    assert full.items == [1, 2]
    assert full.next_cursor is not None
    assert decode_cursor(full.next_cursor, int) == 2
    last = page_of([1, 2], request, lambda k: k)
    assert last.items == [1, 2]
    assert last.next_cursor is None
    assert page_of([], request, lambda k: k).next_cursor is None


def _walk(keys: list[int], limit: int) -> list[int]:
    """Read `keys` page by page the way a repository does: keys after the cursor, in
    order, one more than the limit."""
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(len(keys) + 2):
        request = page_request(limit, cursor)
        rows = [k for k in keys if request.after is None or k > int(request.after)]
        page = page_of(rows[: request.fetch], request, lambda k: k)
        seen.extend(page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
    raise AssertionError("the walk did not end")


@given(st.lists(st.integers(1, 10_000), unique=True), st.integers(1, 12))
def test_walking_every_page_sees_every_row_exactly_once(keys: list[int], limit: int) -> None:
    keys.sort()
    assert _walk(keys, limit) == keys
