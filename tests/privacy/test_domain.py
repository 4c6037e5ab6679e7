"""The pure parts of personal data requests: the order rows are erased in (a hypothesis
property against an obviously correct oracle) and the JSON form of stored values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.privacy.domain import children_first, erasure_counts, json_value

NAMES = [f"t{i}" for i in range(6)]


@st.composite
def acyclic(draw: st.DrawFn) -> dict[str, set[str]]:
    """Tables t0..tn, each referring only to tables of a lower number (so no cycle)."""
    count = draw(st.integers(1, len(NAMES)))
    return {NAMES[i]: set(draw(st.lists(st.sampled_from(NAMES[:i]), unique=True)) if i else [])
            for i in range(count)}  # fmt: skip


def _respects(order: list[str], parents: dict[str, set[str]]) -> bool:
    """The oracle: every table comes before each table it refers to."""
    return all(order.index(child) < order.index(parent)
               for child, refs in parents.items() for parent in refs)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(acyclic())
def test_children_come_before_the_tables_they_refer_to(parents: dict[str, set[str]]) -> None:
    order = children_first(parents)
    assert sorted(order) == sorted(parents)
    assert _respects(order, parents)
    if len(parents) <= 5:  # an order exists among all permutations: the oracle agrees
        assert any(_respects(list(p), parents) for p in permutations(parents))


def test_a_cycle_is_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        children_first({"a": {"b"}, "b": {"a"}})


def test_the_real_schema_erases_activities_before_contacts() -> None:
    order = children_first({"contacts": set(), "activities": {"contacts"},
                            "lifecycle_history": {"contacts", "decisions"},
                            "decisions": {"contacts"}})  # fmt: skip
    assert order.index("lifecycle_history") < order.index("decisions") < order.index("contacts")


def test_json_values() -> None:
    assert json_value(datetime(2026, 6, 1, 12, tzinfo=UTC)) == "2026-06-01T12:00:00+00:00"
    assert json_value(date(2026, 6, 1)) == "2026-06-01"
    assert json_value(Decimal("1000.50")) == "1000.50"
    assert json_value(b"\x00\xff") == "AP8="
    assert json_value({"a": [Decimal("1.5"), None, True]}) == {"a": ["1.5", None, True]}


def test_erasure_counts_keep_only_numbers_of_tables_with_rows() -> None:
    assert erasure_counts({"deals": 0, "contacts": 1, "activities": 12}) == {
        "activities": 12, "contacts": 1}
