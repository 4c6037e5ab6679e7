"""Property tests: the fast column code against the plain oracle, and the models' rules."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.attribution.domain import (
    MODELS,
    NONE_KEY,
    Conversion,
    Milestones,
    Model,
    Touch,
    attribute,
    input_from_records,
    largest_remainder,
)
from tests.attribution import oracle

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEYS = ["email", "social", "event", NONE_KEY]
EXACT = [m for m in MODELS if m not in (Model.TIME_DECAY, Model.MARKOV)]

# Instants on a coarse grid (hours over 60 days) so that ties, window edges and
# milestones on a touch happen often.
instants = st.integers(0, 60 * 24).map(lambda h: T0 + timedelta(hours=h))


@st.composite
def workspaces(draw: st.DrawFn) -> tuple[list[Conversion], dict[int, list[Touch]],
                                          dict[int, Milestones], timedelta]:  # fmt: skip
    contacts = draw(st.integers(1, 5))
    touches: dict[int, list[Touch]] = {}
    conversions: list[Conversion] = []
    milestones: dict[int, Milestones] = {}
    serial = 0
    for contact in range(1, contacts + 1):
        own = []
        for _ in range(draw(st.integers(0, 7))):
            serial += 1
            # ids whose string order differs from creation order
            own.append(Touch(f"act-{draw(st.integers(0, 99))}-{serial}", draw(instants),
                             draw(st.sampled_from(KEYS))))  # fmt: skip
        touches[contact] = own
        for _ in range(draw(st.integers(0, 2))):
            cents = draw(st.integers(0, 10**9))
            conversions.append(Conversion(f"d{len(conversions)}", contact, draw(instants),
                                          Decimal(cents) / 100))  # fmt: skip
        milestones[contact] = Milestones(draw(st.none() | instants), draw(st.none() | instants))
    lookback = timedelta(hours=draw(st.integers(0, 40 * 24)))
    return conversions, touches, milestones, lookback


def fast(model: Model, world: tuple, half_life_days: float = 7.0) -> tuple[
    dict[str, Fraction], dict[str, int]
]:
    conversions, touches, milestones, lookback = world
    data = input_from_records(conversions, touches, milestones=milestones, lookback=lookback)
    result = attribute(model, data, half_life_days=half_life_days)
    return ({c.key: c.conversions for c in result.credits},
            {c.key: c.revenue_cents for c in result.credits})  # fmt: skip


def nonzero(values: Mapping[str, Fraction | int]) -> dict[str, Fraction | int]:
    return {key: value for key, value in values.items() if value != 0}


@settings(max_examples=300, deadline=None)
@given(world=workspaces(), model=st.sampled_from(EXACT))
def test_positional_models_equal_the_oracle_exactly(world: tuple, model: Model) -> None:
    conversions, touches, milestones, lookback = world
    count, cents = oracle.credits(model, conversions, touches, milestones, lookback)
    got_count, got_cents = fast(model, world)
    assert nonzero(got_count) == nonzero(count)
    assert nonzero(got_cents) == nonzero(oracle.round_cents(cents))


@settings(max_examples=200, deadline=None)
@given(world=workspaces(), half_life=st.floats(0.01, 400))
def test_time_decay_equals_the_oracle(world: tuple, half_life: float) -> None:
    conversions, touches, milestones, lookback = world
    count, cents = oracle.credits(Model.TIME_DECAY, conversions, touches, milestones,
                                  lookback, half_life)  # fmt: skip
    got_count, got_cents = fast(Model.TIME_DECAY, world, half_life)
    for key in set(count) | set(got_count):
        assert float(got_count.get(key, 0)) == pytest.approx(float(count.get(key, 0)), abs=1e-9)
        assert abs(got_cents.get(key, 0) - float(cents.get(key, 0))) <= 1 + 1e-6 * float(
            cents.get(key, 0))


@settings(max_examples=200, deadline=None)
@given(world=workspaces(), model=st.sampled_from(MODELS))
def test_every_model_credits_sum_to_the_totals(world: tuple, model: Model) -> None:
    conversions, touches, milestones, lookback = world
    data = input_from_records(conversions, touches, milestones=milestones, lookback=lookback)
    result = attribute(model, data)
    assert result.conversions == len(conversions)
    assert result.revenue == sum((c.value for c in conversions), Decimal("0.00"))
    assert sum(c.conversions for c in result.credits) == len(conversions)
    assert sum(c.revenue_cents for c in result.credits) == result.revenue_cents
    assert all(c.conversions >= 0 for c in result.credits)


def single_conversion(keys: list[str], milestones: Milestones = Milestones()) -> tuple:
    """One conversion of 100.00 at T0 + 1 day with touches an hour apart, in order."""
    touches = [Touch(f"t{i:02d}", T0 + timedelta(hours=i), key) for i, key in enumerate(keys)]
    return ([Conversion("d", 1, T0 + timedelta(days=1), Decimal("100.00"))], {1: touches},
            {1: milestones}, timedelta(days=2))  # fmt: skip


@given(key=st.sampled_from(KEYS), model=st.sampled_from(MODELS))
def test_one_touch_takes_everything(key: str, model: Model) -> None:
    count, cents = fast(model, single_conversion([key]))
    assert nonzero(count) == {key: 1}
    assert nonzero(cents) == {key: 10000}


def test_two_touches_take_half_each_in_u_shaped() -> None:
    count, cents = fast(Model.U_SHAPED, single_conversion(["email", "social"]))
    assert count == {"email": Fraction(1, 2), "social": Fraction(1, 2)}
    assert cents == {"email": 5000, "social": 5000}


@given(n=st.integers(3, 12))
def test_u_shaped_gives_40_to_each_end_and_20_to_the_middle(n: int) -> None:
    keys = ["email"] + ["social"] * (n - 2) + ["event"]
    count, _ = fast(Model.U_SHAPED, single_conversion(keys))
    assert count == {"email": Fraction(2, 5), "social": Fraction(1, 5), "event": Fraction(2, 5)}


def at_touch(index: int) -> datetime:
    return T0 + timedelta(hours=index, minutes=30)


def test_w_shaped_three_distinct_milestones_and_no_other_take_a_third_each() -> None:
    world = single_conversion(["email", "social", "event"], Milestones(at_touch(1), at_touch(2)))
    count, cents = fast(Model.W_SHAPED, world)
    assert count == {"email": Fraction(1, 3), "social": Fraction(1, 3), "event": Fraction(1, 3)}
    assert sum(cents.values()) == 10000


def test_w_shaped_coinciding_milestones_take_each_share() -> None:
    # Lead and opportunity on the second touch: it holds two 30 % shares; the two others
    # split 10 %.
    world = single_conversion(["email", "social", "event", "referral"],
                              Milestones(at_touch(1), at_touch(1)))  # fmt: skip
    count, _ = fast(Model.W_SHAPED, world)
    assert count == {"email": Fraction(3, 10), "social": Fraction(6, 10),
                     "event": Fraction(1, 20), "referral": Fraction(1, 20)}  # fmt: skip


def test_w_shaped_all_milestones_on_the_first_touch_with_one_other() -> None:
    # Reached lead and opportunity before any touch: both are the first touch (90 %).
    world = single_conversion(["email", "social"], Milestones(T0 - timedelta(days=1), T0))
    count, _ = fast(Model.W_SHAPED, world)
    assert count == {"email": Fraction(9, 10), "social": Fraction(1, 10)}


def test_w_shaped_milestones_never_reached_are_the_last_touch() -> None:
    world = single_conversion(["email", "social", "event"])
    count, _ = fast(Model.W_SHAPED, world)
    # first 30 %, lead = opportunity = last touch 60 %, the middle 10 %.
    assert count == {"email": Fraction(3, 10), "social": Fraction(1, 10), "event": Fraction(6, 10)}


def test_full_path_splits_the_ten_percent_over_the_milestone_shares_when_nothing_else() -> None:
    world = single_conversion(["email", "social"], Milestones(at_touch(0), at_touch(1)))
    count, _ = fast(Model.FULL_PATH, world)
    # shares: first and lead on touch 1, opportunity and last on touch 2: a quarter each.
    assert count == {"email": Fraction(1, 2), "social": Fraction(1, 2)}


def test_full_path_four_milestones_and_others() -> None:
    world = single_conversion(["a", "b", "c", "d", "e", "f"], Milestones(at_touch(2), at_touch(3)))
    count, _ = fast(Model.FULL_PATH, world)
    assert count == {"a": Fraction(9, 40), "b": Fraction(1, 20), "c": Fraction(9, 40),
                     "d": Fraction(9, 40), "e": Fraction(1, 20), "f": Fraction(9, 40)}  # fmt: skip


def test_ties_in_time_are_ordered_by_activity_id() -> None:
    same = T0 + timedelta(hours=1)
    touches = {1: [Touch("b", same, "social"), Touch("a", same, "email")]}
    conversions = [Conversion("d", 1, T0 + timedelta(days=1), Decimal("1.00"))]
    data = input_from_records(conversions, touches)
    first = attribute(Model.FIRST_TOUCH, data)
    assert [c.key for c in first.credits if c.conversions] == ["email"]


def test_the_window_includes_both_ends() -> None:
    instant = T0 + timedelta(days=10)
    touches = {1: [Touch("early", instant - timedelta(days=3, microseconds=1), "event"),
                   Touch("edge", instant - timedelta(days=3), "email"),
                   Touch("now", instant, "social"),
                   Touch("late", instant + timedelta(microseconds=1), "referral")]}  # fmt: skip
    data = input_from_records([Conversion("d", 1, instant, Decimal("3.00"))], touches,
                              lookback=timedelta(days=3))  # fmt: skip
    count = {c.key: c.conversions for c in attribute(Model.LINEAR, data).credits}
    assert count == {"email": Fraction(1, 2), "social": Fraction(1, 2)}


@given(total=st.integers(0, 10**6),
       weights=st.lists(st.integers(0, 1000), min_size=1, max_size=8).filter(any))
def test_largest_remainder_sums_exactly_and_stays_within_a_unit(total: int,
                                                                weights: list[int]) -> None:
    exact = [Fraction(total * w, sum(weights)) for w in weights]
    rounded = largest_remainder(total, exact)
    assert sum(rounded) == total
    assert all(abs(r - e) < 1 for r, e in zip(rounded, exact, strict=True))
