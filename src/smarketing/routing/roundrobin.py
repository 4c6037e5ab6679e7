"""Weighted round robin inside a pool, and the state it keeps between calls (pure logic).

The pick is *smooth weighted round robin* (the algorithm of nginx's upstream balancer)
run over the members who are available for this lead, with integer counters:

1. every available member earns its weight: ``counter += weight``;
2. the member with the highest counter is chosen (a tie is broken at random, with the
   ``random.Random`` the caller passes, so a seeded one makes it repeatable);
3. the chosen member pays the total weight of the available members:
   ``counter -= total``;
4. the counters are shifted so that the available members' counters average between 0
   and 1 (subtracting ``floor(sum / count)`` from every counter of the pool), and the
   counter of every member who was not available is capped at 0.

With the same members available every time, steps 1-3 alone are nginx's algorithm: the
counters sum to 0, step 4 changes nothing, and after n picks each member has been
chosen ``n * weight / total`` times, within one pick. Members who are unavailable (out
of office, outside working hours beyond the SLA window, at capacity) skip step 1, so
they earn nothing while away; step 4 also drops any credit they left with (a debt,
a negative counter, is kept: a rep who just got a lead does not get the next one
because they stepped out and back). A rep who returns therefore starts no better placed
than the average present rep and cannot receive a burst of leads; the shift keeps the
counters small however often people come and go.

The state is a plain value: ``{"format": 1, "pools": {pool: {email: counter}}}``, one
integer per pool member, which the caller stores and passes back (docs/routing.md; a
table with one row per pool and member).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["RoundRobinPick", "RoutingState", "RoutingStateError", "smooth_weighted_pick"]

STATE_FORMAT = 1


class RoutingStateError(ValueError):
    """A stored round-robin state is malformed; the message names the path."""


@dataclass(frozen=True)
class RoutingState:
    """Round-robin counters: pool key -> member email -> integer counter.

    A pool or member missing from the state has counter 0. Immutable: routing returns
    a new state, and :func:`smarketing.routing.domain.simulate` none.
    """

    pools: Mapping[str, Mapping[str, int]] = field(default_factory=lambda: MappingProxyType({}))

    def counters(self, pool: str) -> Mapping[str, int]:
        return self.pools.get(pool, MappingProxyType({}))

    def with_counters(self, pool: str, counters: Mapping[str, int]) -> RoutingState:
        pools = dict(self.pools)
        pools[pool] = MappingProxyType(dict(counters))
        return RoutingState(MappingProxyType(pools))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "pools": {
                pool: dict(sorted(counters.items()))
                for pool, counters in sorted(self.pools.items())
            },
        }

    @classmethod
    def from_json(cls, data: Any) -> RoutingState:
        if not isinstance(data, Mapping):
            raise RoutingStateError('state: expected an object such as {"format": 1, "pools": {}}')
        unknown = sorted(str(k) for k in data if k not in ("format", "pools"))
        if unknown:
            raise RoutingStateError(f"state: unknown field(s) {', '.join(unknown)}")
        if data.get("format", STATE_FORMAT) != STATE_FORMAT:
            raise RoutingStateError(
                f"state.format: expected {STATE_FORMAT}, got {data['format']!r}"
            )
        raw = data.get("pools", {})
        if not isinstance(raw, Mapping):
            raise RoutingStateError("state.pools: expected an object of pool -> counters")
        pools: dict[str, Mapping[str, int]] = {}
        for pool, counters in raw.items():
            if not isinstance(counters, Mapping):
                raise RoutingStateError(
                    f"state.pools.{pool}: expected an object of email -> integer"
                )
            parsed: dict[str, int] = {}
            for email, value in counters.items():
                if isinstance(value, bool) or not isinstance(value, int):
                    raise RoutingStateError(
                        f"state.pools.{pool}.{email}: expected an integer, got {value!r}"
                    )
                parsed[str(email)] = value
            pools[str(pool)] = MappingProxyType(parsed)
        return cls(MappingProxyType(pools))


@dataclass(frozen=True)
class RoundRobinPick:
    """One step of the round robin.

    ``chosen``: the member picked, None when nobody was available (then ``counters`` are
    the old ones). ``earned``: the available members' counters after step 1, the numbers
    the choice compared. ``tied``: the members sharing the highest counter, in pool
    order (more than one: the tie was broken at random). ``counters``: every member's
    counter after the step, to store.
    """

    chosen: str | None
    earned: Mapping[str, int]
    tied: tuple[str, ...]
    total_weight: int
    counters: Mapping[str, int]


def smooth_weighted_pick(
    members: Sequence[tuple[str, int]],
    available: Collection[str],
    counters: Mapping[str, int],
    rng: random.Random,
) -> RoundRobinPick:
    """One smooth-weighted-round-robin step over ``members`` (email, weight), in pool
    order, choosing among ``available``; ``counters`` as stored (others ignored)."""
    current = {email: counters.get(email, 0) for email, _ in members}
    present = [(email, weight) for email, weight in members if email in available]
    if not present:
        return RoundRobinPick(None, {}, (), 0, current)
    total = 0
    for email, weight in present:
        current[email] += weight
        total += weight
    earned = {email: current[email] for email, _ in present}
    best = max(earned.values())
    tied = tuple(email for email, _ in present if earned[email] == best)
    chosen = tied[0] if len(tied) == 1 else rng.choice(tied)
    current[chosen] -= total
    shift = sum(current[email] for email, _ in present) // len(present)
    for email in current:
        current[email] -= shift
        if email not in earned and current[email] > 0:
            current[email] = 0
    return RoundRobinPick(chosen, earned, tied, total, current)
