"""A slow, plainly written attribution, one conversion at a time, to check the fast one."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from fractions import Fraction

from smarketing.attribution.domain import NONE_KEY, Conversion, Milestones, Model, Touch


def touchpoints(conversion: Conversion, touches: Sequence[Touch], lookback: timedelta) -> (
    list[Touch]
):
    inside = [t for t in touches
              if conversion.instant - lookback <= t.at <= conversion.instant]  # fmt: skip
    return sorted(inside, key=lambda t: (t.at, t.activity_id))


def milestone_index(path: list[Touch], reached: datetime | None, instant: datetime) -> int:
    """The last touch at or before the milestone (the conversion instant when not reached
    before it), the first touch when none is."""
    moment = instant if reached is None or reached > instant else reached
    index = 0
    for i, touch in enumerate(path):
        if touch.at <= moment:
            index = i
    return index


def shares(model: Model, path: list[Touch], conversion: Conversion, milestones: Milestones,
           half_life_days: float) -> list[Fraction] | list[float]:  # fmt: skip
    n = len(path)
    if model is Model.FIRST_TOUCH:
        return [Fraction(1 if i == 0 else 0) for i in range(n)]
    if model is Model.LAST_TOUCH:
        return [Fraction(1 if i == n - 1 else 0) for i in range(n)]
    if model is Model.LINEAR:
        return [Fraction(1, n)] * n
    if model is Model.U_SHAPED:
        if n == 1:
            return [Fraction(1)]
        if n == 2:
            return [Fraction(1, 2), Fraction(1, 2)]
        return ([Fraction(40, 100)] + [Fraction(20, 100) / (n - 2)] * (n - 2)
                + [Fraction(40, 100)])  # fmt: skip
    if model in (Model.W_SHAPED, Model.FULL_PATH):
        lead = milestone_index(path, milestones.lead, conversion.instant)
        opportunity = milestone_index(path, milestones.opportunity, conversion.instant)
        marks = [0, lead, opportunity]
        each = Fraction(30, 100)
        if model is Model.FULL_PATH:
            marks.append(n - 1)
            each = Fraction(225, 1000)
        result = [Fraction(0)] * n
        others = [i for i in range(n) if i not in marks]
        for mark in marks:
            result[mark] += each if others else Fraction(1, len(marks))
        for other in others:
            result[other] += Fraction(10, 100) / len(others)
        return result
    if model is Model.TIME_DECAY:
        days = [(conversion.instant - t.at) / timedelta(days=1) for t in path]
        # relative to the latest touch, as the fast code does, to avoid underflow
        weights = [2 ** (-(d - min(days)) / half_life_days) for d in days]
        return [w / math.fsum(weights) for w in weights]
    raise AssertionError(model)


def credits(
    model: Model,
    conversions: Sequence[Conversion],
    touches: Mapping[int, Sequence[Touch]],
    milestones: Mapping[int, Milestones],
    lookback: timedelta,
    half_life_days: float = 7.0,
) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
    """Per key: conversions and revenue in cents (exact for the positional models)."""
    count: dict[str, Fraction] = defaultdict(Fraction)
    cents: dict[str, Fraction] = defaultdict(Fraction)
    for conversion in conversions:
        value = Fraction(conversion.value) * 100
        path = touchpoints(conversion, touches.get(conversion.contact, []), lookback)
        if not path:
            count[NONE_KEY] += 1
            cents[NONE_KEY] += value
            continue
        for touch, share in zip(path, shares(model, path, conversion,
                                             milestones.get(conversion.contact, Milestones()),
                                             half_life_days), strict=True):  # fmt: skip
            count[touch.key] += Fraction(share)
            cents[touch.key] += Fraction(share) * value
    return dict(count), dict(cents)


def round_cents(exact: Mapping[str, Fraction]) -> dict[str, int]:
    """Largest remainder: floors, then a cent each to the largest remainders (ties: the key
    that sorts first)."""
    total = sum(exact.values(), Fraction(0))
    assert total.denominator == 1
    rounded = {key: math.floor(value) for key, value in exact.items()}
    missing = int(total) - sum(rounded.values())
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - rounded[key]), key))
    for key in by_remainder[:missing]:
        rounded[key] += 1
    return rounded
