"""Markov removal effects against a brute-force absorbing chain (value iteration)."""

from collections import Counter, defaultdict
from collections.abc import Sequence
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.attribution.domain import NONE_KEY, Model, attribute
from smarketing.attribution.markov import build_chain, removal_effects
from tests.attribution.paths import input_from_paths

KEYS = ["a", "b", "c", "d", "e"]


def brute_force(converting: Sequence[Sequence[str]], nonconverting: Sequence[Sequence[str]]) -> (
    tuple[float, dict[str, float]]
):
    """P(conversion) and removal effects by iterating x <- P x until nothing moves."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for paths, end in ((converting, "conversion"), (nonconverting, "null")):
        for path in paths:
            if path:
                for a, b in pairwise(["start", *path, end]):
                    counts[a][b] += 1

    def probability(removed: str | None) -> float:
        x = dict.fromkeys(counts, 0.0)
        x["conversion"], x["null"] = 1.0, 0.0
        for _ in range(1_000_000):
            change = 0.0
            for state, nexts in counts.items():
                if state == removed:
                    continue
                total = sum(nexts.values())
                value = sum(n / total * (0.0 if b == removed else x[b]) for b, n in nexts.items())
                change = max(change, abs(value - x[state]))
                x[state] = value
            if change < 1e-16:
                break
        return x.get("start", 0.0)

    p = probability(None)
    keys = sorted(k for k in counts if k != "start")
    return p, {key: 1 - probability(key) / p for key in keys} if p else {}


path = st.lists(st.sampled_from(KEYS), min_size=1, max_size=6)
worlds = st.tuples(st.lists(path, min_size=1, max_size=12), st.lists(path, max_size=12))


@settings(max_examples=150, deadline=None)
@given(world=worlds, method=st.sampled_from(["solve each", "fundamental"]))
def test_removal_effects_equal_the_brute_force_chain(world: tuple, method: str) -> None:
    converting, nonconverting = world
    data = input_from_paths(converting, nonconverting)
    chain = build_chain(len(data.keys), data.converting.paths.offsets, data.converting.paths.key,
                        data.nonconverting.offsets, data.nonconverting.key)  # fmt: skip
    result = removal_effects(chain, solve_each_up_to=10**6 if method == "solve each" else 0)
    p, effects = brute_force(converting, nonconverting)
    assert result.conversion_probability == pytest.approx(p, abs=1e-9)
    got = {data.keys[k]: float(e) for k, e in enumerate(result.effects)}
    assert got == pytest.approx(effects, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(world=worlds, values=st.lists(st.integers(0, 10**7), min_size=12, max_size=12))
def test_markov_shares_are_removal_effects_over_their_sum(world: tuple,
                                                          values: list[int]) -> None:
    converting, nonconverting = world
    cents = values[: len(converting)]
    result = attribute(Model.MARKOV, input_from_paths(converting, nonconverting, cents))
    _, effects = brute_force(converting, nonconverting)
    total = sum(effects.values())
    got = {c.key: (c.conversions, c.revenue_cents) for c in result.credits}
    for key, effect in effects.items():
        conversions, revenue = got.get(key, (0, 0))  # a key no share reaches is not listed
        assert float(conversions) == pytest.approx(effect / total * len(converting), abs=1e-9)
        assert abs(revenue - effect / total * sum(cents)) <= 1 + 1e-9 * sum(cents)
    assert sum(c.conversions for c in result.credits) == len(converting)
    assert sum(c.revenue_cents for c in result.credits) == sum(cents)


def test_without_nonconverting_paths_conversion_is_certain_and_effects_still_split() -> None:
    # a -> b -> conv twice, b -> conv once: P = 1; without a: 1/3 of start goes... to b.
    result = attribute(Model.MARKOV, input_from_paths([["a", "b"], ["a", "b"], ["b"]], []))
    assert result.conversion_probability == pytest.approx(1.0)
    # Removing a loses the 2/3 that start sends to a; removing b loses everything.
    assert result.removal_effects == pytest.approx({"a": 2 / 3, "b": 1.0})
    got = {c.key: float(c.conversions) for c in result.credits}
    assert got == pytest.approx({"a": 3 * (2 / 3) / (5 / 3), "b": 3 * 1 / (5 / 3)})


def test_a_single_key_takes_every_touched_conversion() -> None:
    result = attribute(Model.MARKOV, input_from_paths([["a"], ["a", "a"], []], [["a"]],
                                                      [100, 200, 50]))  # fmt: skip
    assert result.removal_effects == {"a": 1.0}
    assert {c.key: (c.conversions, c.revenue_cents) for c in result.credits} == {
        "a": (2, 300), NONE_KEY: (1, 50)}


def test_no_touched_conversion_leaves_all_credit_to_none() -> None:
    result = attribute(Model.MARKOV, input_from_paths([[], []], [["a", "b"]], [10, 20]))
    assert result.conversion_probability == 0.0
    assert {c.key: (c.conversions, c.revenue_cents) for c in result.credits} == {
        NONE_KEY: (2, 30)}


def test_repeated_keys_change_no_removal_effect() -> None:
    plain = attribute(Model.MARKOV, input_from_paths([["a", "b"], ["c"]], [["a"], ["b", "c"]]))
    repeated = attribute(Model.MARKOV, input_from_paths(
        [["a", "a", "b", "b", "b"], ["c", "c"]], [["a", "a"], ["b", "c", "c"]]))  # fmt: skip
    assert repeated.removal_effects == pytest.approx(plain.removal_effects, abs=1e-12)


def test_a_key_only_on_nonconverting_paths_is_credited_when_it_leads_to_conversion() -> None:
    # x is never on a converting path, but start -> x -> a -> conversion is a route.
    result = attribute(Model.MARKOV, input_from_paths([["a"]], [["x", "a"]]))
    assert result.removal_effects["x"] > 0
    assert {c.key for c in result.credits} == {"a", "x"}
    assert sum(c.conversions for c in result.credits) == 1


def test_exact_shares_sum_to_the_conversions_even_with_float_effects() -> None:
    result = attribute(Model.MARKOV, input_from_paths(
        [["a", "b", "c"], ["b"], ["c", "a"]], [["a"], ["b", "b"], ["c"]], [1, 1, 1]))
    assert sum((c.conversions for c in result.credits), Fraction(0)) == 3
