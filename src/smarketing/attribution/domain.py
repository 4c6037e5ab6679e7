"""Attribution as pure logic: conversions, their touchpoints and the eight models.

The definitions are those of issue 13, written out with worked examples in
docs/attribution.md:

- A conversion (a won deal, or a contact's first arrival at a stage) has an instant and a
  value. Its touchpoints are its contact's touches with
  ``instant - lookback <= at <= instant``, ordered by ``at``, then activity id.
- A touch's key is its channel (its own, else its campaign's) or, by campaign, its
  campaign's key; `(none)` when there is none. A conversion without touchpoints gives
  all its credit to `(none)` in every model.
- first_touch, last_touch, linear, u_shaped (40/20/40), w_shaped (30/30/30 + 10),
  full_path (22.5 x 4 + 10), time_decay (half-life) and markov (removal effects).
- Conversion credits are exact fractions that sum to the number of conversions; revenue
  credits are cents, rounded by largest remainder so that they sum to the revenue.

Everything works on columns (numpy arrays), so 100,000 conversions and 1,000,000
touchpoints take well under a second; `input_from_records` builds the same columns from
plain records for tests and small examples. No clock, no database: instants come in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from smarketing.attribution.markov import build_chain, removal_effects

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: The key of touches without a channel (or campaign) and of conversions without touches.
NONE_KEY = "(none)"
#: The default conversion: a won deal.
WON = "won"
#: The stages `--stage` accepts: each contact's first arrival there is a conversion.
CONVERSION_STAGES: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "customer")
#: Arrival at any of these counts as having reached `lead` (the W-shaped milestone).
LEAD_OR_LATER: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "customer", "evangelist")
#: Arrival at any of these counts as having reached `opportunity`.
OPPORTUNITY_OR_LATER: tuple[str, ...] = ("opportunity", "customer", "evangelist")

DEFAULT_LOOKBACK_DAYS = 365
DEFAULT_HALF_LIFE_DAYS = 7.0
MAX_LOOKBACK_DAYS = 36_500

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
DAY_US = 86_400_000_000
#: "Never reached": later than any instant.
NEVER = np.iinfo(np.int64).max


class Model(StrEnum):
    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"
    U_SHAPED = "u_shaped"
    W_SHAPED = "w_shaped"
    FULL_PATH = "full_path"
    TIME_DECAY = "time_decay"
    MARKOV = "markov"


MODELS: tuple[Model, ...] = tuple(Model)


class KeyKind(StrEnum):
    CHANNEL = "channel"
    CAMPAIGN = "campaign"


def parse_models(name: str) -> tuple[Model, ...]:
    """`all` or one model name; a clear error names the accepted values."""
    if name == "all":
        return MODELS
    try:
        return (Model(name),)
    except ValueError:
        raise ValueError(f"model: {name!r} is not one of all, "
                         f"{', '.join(MODELS)}") from None  # fmt: skip


def parse_key_kind(name: str) -> KeyKind:
    try:
        return KeyKind(name)
    except ValueError:
        raise ValueError(f"by: {name!r} is not one of channel, campaign") from None


def parse_stage(name: str | None) -> str:
    """None or `won` for won deals, else one of CONVERSION_STAGES."""
    if name is None or name == WON:
        return WON
    if name not in CONVERSION_STAGES:
        raise ValueError(f"stage: {name!r} is not one of won, {', '.join(CONVERSION_STAGES)}")
    return name


def distinct(values: IntArray) -> IntArray:
    """The sorted distinct values (np.unique hashes, and was 20 times slower on 10**6
    instants with numpy 2.4)."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    result: IntArray = ordered[keep]
    return result


def dense_ranks(values: IntArray) -> IntArray:
    """Each value's rank among the distinct values (0 for the smallest), with one sort."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    steps = np.zeros(values.size, dtype=np.int64)
    if values.size > 1:
        np.not_equal(ordered[1:], ordered[:-1], out=steps[1:], casting="unsafe")
    ranks = np.empty(values.size, dtype=np.int64)
    ranks[order] = np.cumsum(steps)
    return ranks


def instant_us(at: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware instant."""
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at.isoformat()} given for an instant")
    return (at - EPOCH) // MICROSECOND


# -- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Touch:
    """One touch of a contact: an activity with its instant and its key."""

    activity_id: str
    at: datetime
    key: str


@dataclass(frozen=True, slots=True)
class Conversion:
    """A won deal (value = its amount) or a first arrival at a stage (value 0)."""

    id: str
    contact: int
    instant: datetime
    value: Decimal


@dataclass(frozen=True, slots=True)
class Milestones:
    """When a contact first reached `lead` and `opportunity` (or a later stage); None: never."""

    lead: datetime | None = None
    opportunity: datetime | None = None


@dataclass(frozen=True)
class TouchColumns:
    """Touches as columns, sorted by contact, then `at`, then activity id."""

    contact: IntArray
    at_us: IntArray
    key: IntArray

    @staticmethod
    def empty() -> TouchColumns:
        nothing = np.zeros(0, dtype=np.int64)
        return TouchColumns(nothing, nothing, nothing)


@dataclass(frozen=True)
class ConversionColumns:
    """Conversions as columns (any order). `lead_us`/`opportunity_us`: NEVER when not reached."""

    contact: IntArray
    instant_us: IntArray
    value_cents: IntArray
    lead_us: IntArray
    opportunity_us: IntArray


@dataclass(frozen=True)
class Paths:
    """Key paths: path i is key[offsets[i]:offsets[i + 1]] (key codes, possibly empty)."""

    offsets: IntArray
    key: IntArray

    @property
    def count(self) -> int:
        return int(self.offsets.size) - 1

    def lengths(self) -> IntArray:
        return np.diff(self.offsets)


@dataclass(frozen=True)
class ConvertingPaths:
    """One path per conversion, with what the models need besides the keys."""

    paths: Paths
    #: Per touch: the conversion instant minus the touch instant (microseconds, >= 0).
    age_us: IntArray
    #: Per conversion.
    value_cents: IntArray
    #: Per conversion: the index in its path of the lead-creation and opportunity-creation
    #: touches (0 for an empty path).
    lead_position: IntArray
    opportunity_position: IntArray


@dataclass(frozen=True)
class AttributionInput:
    """Everything the eight models read: key names (sorted), converting and other paths."""

    keys: tuple[str, ...]
    converting: ConvertingPaths
    nonconverting: Paths


def converting_paths(
    touches: TouchColumns, conversions: ConversionColumns, lookback_us: int
) -> ConvertingPaths:
    """Each conversion's touchpoints: its contact's touches with
    instant - lookback <= at <= instant.

    `touches` must be sorted by contact, then at, then activity id; that order is kept.
    The lead-creation touch is the last touchpoint at or before the milestone instant
    min(first arrival at lead or later, conversion instant), the first touchpoint when
    none is; likewise for opportunity.
    """
    n_conversions = int(conversions.contact.size)
    instant = conversions.instant_us
    lead = np.minimum(conversions.lead_us, instant)
    opportunity = np.minimum(conversions.opportunity_us, instant)
    lower = instant - lookback_us
    # One sortable number per (contact, instant): the contact's rank times the number of
    # distinct instants, plus the instant's rank. Exact, with no overflow for any instant.
    n_touches = int(touches.contact.size)
    contact_rank = dense_ranks(np.concatenate([touches.contact, conversions.contact]))
    instant_rank = dense_ranks(np.concatenate([touches.at_us, lower, instant, lead,
                                               opportunity]))  # fmt: skip
    width = np.int64(instant_rank.max(initial=0) + 1)
    ordered = contact_rank[:n_touches] * width + instant_rank[:n_touches]
    if ordered.size > 1 and bool(np.any(np.diff(ordered) < 0)):
        raise ValueError("touches must be sorted by contact, then at")
    base = contact_rank[n_touches:] * width
    lower_key, instant_key, lead_key, opportunity_key = (
        base + part for part in np.split(instant_rank[n_touches:], 4))
    start = np.searchsorted(ordered, lower_key, side="left")
    end = np.searchsorted(ordered, instant_key, side="right")
    lead_end = np.searchsorted(ordered, lead_key, side="right")
    opportunity_end = np.searchsorted(ordered, opportunity_key, side="right")
    lengths = (end - start).astype(np.int64)
    offsets = np.zeros(n_conversions + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    owner = np.repeat(np.arange(n_conversions, dtype=np.int64), lengths)
    rows = np.arange(total, dtype=np.int64) + np.repeat(start - offsets[:-1], lengths)
    return ConvertingPaths(
        paths=Paths(offsets, touches.key[rows].astype(np.int64)),
        age_us=(instant[owner] - touches.at_us[rows]).astype(np.int64),
        value_cents=conversions.value_cents.astype(np.int64),
        lead_position=np.maximum(lead_end - start - 1, 0).astype(np.int64),
        opportunity_position=np.maximum(opportunity_end - start - 1, 0).astype(np.int64),
    )


def nonconverting_paths(touches: TouchColumns, end_us: int, lookback_us: int) -> Paths:
    """One path per contact of `touches` that has a touch with end - lookback <= at <= end.

    `touches` holds only contacts without a conversion, sorted by contact, then at, then
    activity id.
    """
    inside = (touches.at_us >= end_us - lookback_us) & (touches.at_us <= end_us)
    contact = touches.contact[inside]
    keys = touches.key[inside].astype(np.int64)
    if contact.size == 0:
        return Paths(np.zeros(1, dtype=np.int64), keys)
    starts = np.flatnonzero(np.concatenate([[True], contact[1:] != contact[:-1]]))
    offsets = np.append(starts, contact.size).astype(np.int64)
    return Paths(offsets, keys)


def input_from_records(
    conversions: Sequence[Conversion],
    touches: Mapping[int, Iterable[Touch]],
    *,
    milestones: Mapping[int, Milestones] | None = None,
    lookback: timedelta = timedelta(days=DEFAULT_LOOKBACK_DAYS),
    period_end: datetime | None = None,
) -> AttributionInput:
    """The models' input from plain records: touches per contact (any order).

    Contacts in `touches` without a conversion give the non-converting paths (window
    ending at `period_end`, else at the latest touch).
    """
    milestones = milestones or {}
    keys = sorted({touch.key for contact in touches.values() for touch in contact})
    code = {key: index for index, key in enumerate(keys)}
    converting = {conversion.contact for conversion in conversions}

    def columns(contacts: Iterable[int]) -> TouchColumns:
        rows = sorted((contact, instant_us(t.at), t.activity_id, code[t.key])
                      for contact in contacts for t in touches.get(contact, ()))  # fmt: skip
        if not rows:
            return TouchColumns.empty()
        return TouchColumns(
            np.asarray([r[0] for r in rows], dtype=np.int64),
            np.asarray([r[1] for r in rows], dtype=np.int64),
            np.asarray([r[3] for r in rows], dtype=np.int64),
        )

    def reached(contact: int, attribute: str) -> int:
        at: datetime | None = getattr(milestones.get(contact, Milestones()), attribute)
        return NEVER if at is None else instant_us(at)

    conversion_columns = ConversionColumns(
        contact=np.asarray([c.contact for c in conversions], dtype=np.int64),
        instant_us=np.asarray([instant_us(c.instant) for c in conversions], dtype=np.int64),
        value_cents=np.asarray([cents(c.value) for c in conversions], dtype=np.int64),
        lead_us=np.asarray([reached(c.contact, "lead") for c in conversions], dtype=np.int64),
        opportunity_us=np.asarray([reached(c.contact, "opportunity") for c in conversions],
                                  dtype=np.int64),  # fmt: skip
    )
    lookback_us = lookback // MICROSECOND
    others = columns(contact for contact in touches if contact not in converting)
    if period_end is not None:
        end_us = instant_us(period_end)
    else:
        every = [instant_us(t.at) for contact in touches.values() for t in contact]
        end_us = max(every, default=0)
    return AttributionInput(
        keys=tuple(keys),
        converting=converting_paths(columns(converting), conversion_columns, lookback_us),
        nonconverting=nonconverting_paths(others, end_us, lookback_us),
    )


def cents(value: Decimal) -> int:
    """An amount in cents; more than two decimals is an error."""
    scaled = value * 100
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {value} has more than two decimals")
    return int(scaled)


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credit:
    """A key's share: fractional conversions and revenue in cents."""

    key: str
    conversions: Fraction
    revenue_cents: int

    @property
    def revenue(self) -> Decimal:
        return money(self.revenue_cents)


@dataclass(frozen=True)
class ModelResult:
    model: Model
    conversions: int
    revenue_cents: int
    credits: tuple[Credit, ...]
    #: Markov only: each key's removal effect and P(conversion) of the chain.
    removal_effects: Mapping[str, float] = field(default_factory=dict)
    conversion_probability: float | None = None

    @property
    def revenue(self) -> Decimal:
        return money(self.revenue_cents)


def money(value_cents: int) -> Decimal:
    return (Decimal(value_cents) / 100).quantize(Decimal("0.01"))


def largest_remainder(total: int, shares: Sequence[Fraction]) -> list[int]:
    """Whole units per share that add up to `total`: each share's floor, then one more unit
    to the largest remainders (the earlier share on a tie). Shares summing to `total`
    exactly need at most one extra unit each; a larger (or negative) gap, which only
    floating-point shares could leave, is spread evenly first.
    """
    floors = [math.floor(share) for share in shares]
    missing = total - sum(floors)
    if not shares:
        return floors
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    whole, extra = divmod(missing, len(shares))
    for index in range(len(shares)):
        floors[index] += whole
    for index in order[:extra]:
        floors[index] += 1
    return floors


# -- the models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Per touch: its conversion, position in the path and path length."""

    owner: IntArray
    position: IntArray
    length: IntArray
    lead: IntArray
    opportunity: IntArray


def _frame(data: ConvertingPaths) -> _Frame:
    lengths = data.paths.lengths()
    owner = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    position = np.arange(data.paths.key.size, dtype=np.int64) - data.paths.offsets[:-1][owner]
    return _Frame(owner, position, lengths[owner], data.lead_position[owner],
                  data.opportunity_position[owner])  # fmt: skip


def positional_weights(model: Model, frame: _Frame) -> tuple[IntArray, IntArray]:
    """Each touch's share as numerator / denominator (integers), for the positional models.

    Shares of one conversion add up to 1 exactly.
    """
    p, n = frame.position, frame.length
    one = np.ones_like(p)
    first = p == 0
    last = p == n - 1
    if model is Model.FIRST_TOUCH:
        return first.astype(np.int64), one
    if model is Model.LAST_TOUCH:
        return last.astype(np.int64), one
    if model is Model.LINEAR:
        return one, n
    if model is Model.U_SHAPED:
        # n >= 3: 2/5 first and last, 1/(5 (n-2)) each between; n = 2: 1/2 each; n = 1: 1.
        middle = np.maximum(n - 2, 1)
        ends = first | last
        weight = np.where(n >= 3, np.where(ends, 2 * middle, 1), 1)
        denominator = np.where(n >= 3, 5 * middle, n)
        return weight.astype(np.int64), denominator.astype(np.int64)
    lead, opportunity = frame.lead, frame.opportunity
    if model is Model.W_SHAPED:
        # Milestones first, lead, opportunity: 3/10 each, 1/(10 m) for each of the m others;
        # no others: 1/3 per milestone share. A touch takes every share it holds.
        shares = first.astype(np.int64) + (p == lead) + (p == opportunity)
        distinct = 1 + (lead != 0) + ((opportunity != 0) & (opportunity != lead))
        others = n - distinct
        weight = np.where(others > 0, np.where(shares > 0, 3 * others * shares, 1), shares)
        denominator = np.where(others > 0, 10 * others, 3)
        return weight.astype(np.int64), denominator.astype(np.int64)
    if model is Model.FULL_PATH:
        # Milestones first, lead, opportunity, last: 9/40 each, 1/(10 m) for each of the m
        # others; no others: 1/4 per milestone share.
        end = n - 1
        shares = first.astype(np.int64) + (p == lead) + (p == opportunity) + last
        distinct = (1 + (lead != 0) + ((opportunity != 0) & (opportunity != lead))
                    + ((end != 0) & (end != lead) & (end != opportunity)))  # fmt: skip
        others = n - distinct
        weight = np.where(others > 0, np.where(shares > 0, 9 * others * shares, 4), shares)
        denominator = np.where(others > 0, 40 * others, 4)
        return weight.astype(np.int64), denominator.astype(np.int64)
    raise ValueError(f"{model} is not a positional model")


def _exact_totals(
    key_count: int, keys: IntArray, weight: IntArray, denominator: IntArray, value: IntArray
) -> tuple[list[Fraction], list[Fraction]]:
    """Per key: sum of weight/denominator, and of value * weight/denominator, exactly.

    Sums are taken per (key, denominator) in integers, so only a few Fractions are made.
    """
    conversions = [Fraction(0)] * key_count
    revenue = [Fraction(0)] * key_count
    keep = weight != 0
    keys, weight, denominator, value = keys[keep], weight[keep], denominator[keep], value[keep]
    if keys.size == 0:
        return conversions, revenue
    # Denominators are small integers: a lookup table numbers the distinct ones.
    denominators = np.flatnonzero(np.bincount(denominator)).astype(np.int64)
    lookup = np.zeros(int(denominators[-1]) + 1, dtype=np.int64)
    lookup[denominators] = np.arange(denominators.size, dtype=np.int64)
    group = keys * denominators.size + lookup[denominator]
    size = key_count * int(denominators.size)
    weight_sums = np.zeros(size, dtype=np.int64)
    np.add.at(weight_sums, group, weight)
    bound = float(np.dot(weight.astype(np.float64), np.abs(value).astype(np.float64)))
    if bound < 2.0**62:
        value_sums: NDArray[np.int64] | NDArray[np.object_] = np.zeros(size, dtype=np.int64)
        np.add.at(value_sums, group, weight * value)
    else:  # beyond int64: Python integers (slower, still exact)
        value_sums = np.zeros(size, dtype=object)
        np.add.at(value_sums, group, weight.astype(object) * value.astype(object))
    for index in np.flatnonzero(weight_sums).tolist():
        key, column = divmod(index, int(denominators.size))
        d = int(denominators[column])
        conversions[key] += Fraction(int(weight_sums[index]), d)
        revenue[key] += Fraction(int(value_sums[index]), d)
    return conversions, revenue


def _time_decay_totals(
    key_count: int, data: ConvertingPaths, frame: _Frame, half_life_us: float
) -> tuple[list[Fraction], list[Fraction]]:
    """Weights 2 ** (-(conversion instant - at) / half-life), normalised per conversion.

    Computed in double precision (the weights are irrational); each weight is taken
    relative to the conversion's latest touch, so no conversion's weights all underflow.
    """
    conversions = [Fraction(0)] * key_count
    revenue = [Fraction(0)] * key_count
    age = data.age_us
    if age.size == 0:
        return conversions, revenue
    lengths = data.paths.lengths()
    nonempty = np.flatnonzero(lengths > 0)
    youngest = np.zeros(lengths.size, dtype=np.int64)
    youngest[nonempty] = np.minimum.reduceat(age, data.paths.offsets[:-1][nonempty])
    weight = np.exp2(-(age - youngest[frame.owner]).astype(np.float64) / half_life_us)
    totals = np.bincount(frame.owner, weights=weight, minlength=lengths.size)
    share = weight / totals[frame.owner]
    by_key = np.bincount(data.paths.key, weights=share, minlength=key_count)
    value = data.value_cents[frame.owner].astype(np.float64)
    money_by_key = np.bincount(data.paths.key, weights=share * value, minlength=key_count)
    for key in range(key_count):
        conversions[key] = Fraction(float(by_key[key]))
        revenue[key] = Fraction(float(money_by_key[key]))
    return conversions, revenue


def _rescaled(values: list[Fraction], total: int) -> list[Fraction]:
    """Scale floating-point credits so they add up to `total` exactly (a 1e-16 change)."""
    current = sum(values, Fraction(0))
    if current == 0:
        return values
    factor = Fraction(total) / current
    return [value * factor for value in values]


def attribute(
    model: Model, data: AttributionInput, *, half_life_days: float = DEFAULT_HALF_LIFE_DAYS
) -> ModelResult:
    """Credits of every key under `model`: conversions (fractions) and revenue (cents)."""
    if not half_life_days > 0:
        raise ValueError(f"half-life: {half_life_days} days is not a positive number")
    converting = data.converting
    lengths = converting.paths.lengths()
    values = converting.value_cents
    touched = lengths > 0
    keys = (*data.keys, NONE_KEY) if NONE_KEY not in data.keys else data.keys
    none_code = keys.index(NONE_KEY)
    key_count = len(keys)
    conversions: list[Fraction]
    revenue: list[Fraction]
    effects: dict[str, float] = {}
    probability: float | None = None
    touched_count = int(np.count_nonzero(touched))
    touched_value = int(values[touched].sum()) if touched_count else 0
    if model is Model.MARKOV:
        conversions, revenue, effects, probability = _markov_totals(
            key_count, data, touched_count, touched_value)  # fmt: skip
    elif model is Model.TIME_DECAY:
        frame = _frame(converting)
        conversions, revenue = _time_decay_totals(
            key_count, converting, frame, half_life_days * DAY_US)  # fmt: skip
        conversions = _rescaled(conversions, touched_count)
        revenue = _rescaled(revenue, touched_value)
    else:
        frame = _frame(converting)
        weight, denominator = positional_weights(model, frame)
        conversions, revenue = _exact_totals(
            key_count, converting.paths.key, weight, denominator, values[frame.owner])  # fmt: skip
    untouched = ~touched
    conversions[none_code] += int(np.count_nonzero(untouched))
    revenue[none_code] += int(values[untouched].sum())
    total_conversions = int(lengths.size)
    total_revenue = int(values.sum())
    # Ties in the rounding go to the key that sorts first.
    by_name = sorted(range(key_count), key=lambda k: keys[k])
    rounded = largest_remainder(total_revenue, [revenue[k] for k in by_name])
    revenue_cents = [0] * key_count
    for k, amount in zip(by_name, rounded, strict=True):
        revenue_cents[k] = amount
    # Keys of the converting paths, (none) when a conversion has no touch, and any key the
    # model credits (Markov can credit a key seen only on non-converting paths).
    shown = np.zeros(key_count, dtype=bool)
    shown[converting.paths.key] = True
    shown[none_code] |= bool(untouched.any())
    credits = [Credit(keys[k], conversions[k], revenue_cents[k]) for k in range(key_count)
               if shown[k] or conversions[k] != 0 or revenue_cents[k] != 0]  # fmt: skip
    credits.sort(key=lambda c: (-c.revenue_cents, -c.conversions, c.key))
    return ModelResult(model, total_conversions, total_revenue, tuple(credits), effects,
                       probability)  # fmt: skip


def _markov_totals(
    key_count: int, data: AttributionInput, touched_count: int, touched_value: int
) -> tuple[list[Fraction], list[Fraction], dict[str, float], float]:
    """Shares = removal effect / sum of removal effects, of the touched conversions.

    Degenerate cases: no converting path with a touch gives an empty chain, no effects and
    nothing to share (all credit is (none)'s, as touchless conversions). Without
    non-converting paths P(conversion) = 1 and the effects are still defined. A single
    key takes everything (its effect is 1). Should every effect be zero while touched
    conversions exist (impossible in exact arithmetic: a key that leads to conversion has
    a positive effect), the touched conversions are split evenly over the chain's keys.
    """
    converting = data.converting.paths
    chain = build_chain(key_count, converting.offsets, converting.key,
                        data.nonconverting.offsets, data.nonconverting.key)  # fmt: skip
    result = removal_effects(chain)
    names = (*data.keys, NONE_KEY) if NONE_KEY not in data.keys else data.keys
    in_chain = [k for k in range(key_count) if chain.counts[k + 1].sum() > 0]
    exact = [Fraction(float(e)) for e in result.effects]
    total = sum(exact, Fraction(0))
    if total == 0 and touched_count:
        exact = [Fraction(1 if k in in_chain else 0) for k in range(key_count)]
        total = Fraction(len(in_chain))
    shares = [e / total if total else Fraction(0) for e in exact]
    effects = {names[k]: float(result.effects[k]) for k in in_chain}
    return ([share * touched_count for share in shares],
            [share * touched_value for share in shares], effects,
            result.conversion_probability)  # fmt: skip


def attribute_all(
    models: Iterable[Model], data: AttributionInput, *,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> list[ModelResult]:  # fmt: skip
    return [attribute(model, data, half_life_days=half_life_days) for model in models]
