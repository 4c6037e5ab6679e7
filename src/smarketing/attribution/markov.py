"""The data-driven model: a first-order Markov chain over the keys, removal effects solved exactly.

States: `start`, one state per key, `conversion` and `null` (the last two absorbing). Every
converting path adds the transitions start -> k1 -> ... -> kn -> conversion, every
non-converting path start -> k1 -> ... -> kn -> null; a state's transition probabilities
are its transition counts over its outgoing total.

P(conversion) is the probability of being absorbed in `conversion` from `start`. For the
transient states (start and the keys), the absorption probabilities x solve

    x = Q x + b   i.e.   (I - Q) x = b

where Q holds the transient-to-transient probabilities and b the probabilities of going
straight to `conversion`. Removing key r sends every transition into r to `null`: x_r
becomes 0, which is the same system without r's row and column. A key's removal effect
is 1 - P(conversion with the key removed) / P(conversion), computed with one linear
solve per key (numpy.linalg.solve); no simulation.

With very many keys (more than SOLVE_EACH_UP_TO) one solve per key costs K^4/3; the
same numbers come from the fundamental matrix N = (I - Q)^-1 in one inversion: the
probability of reaching r from start is N[s, r] / N[r, r], so P(conversion avoiding r)
= x_s - N[s, r] / N[r, r] * x_r and the removal effect is N[s, r] x_r / (N[r, r] x_s).

Repeated keys (a -> a) are counted as transitions; they change no absorption
probability (a self-loop only delays), so collapsing them gives the same result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Above this many keys, removal effects come from one inversion instead of one solve each.
SOLVE_EACH_UP_TO = 200

START = 0


@dataclass(frozen=True)
class Chain:
    """Transition counts between the states start (0), keys 1..K, conversion (K+1), null (K+2)."""

    counts: FloatArray

    @property
    def keys(self) -> int:
        return int(self.counts.shape[0]) - 3

    @property
    def conversion(self) -> int:
        return self.keys + 1

    @property
    def null(self) -> int:
        return self.keys + 2

    def probabilities(self) -> FloatArray:
        """Row-normalised transition matrix; rows of states never left stay zero."""
        totals = self.counts.sum(axis=1, keepdims=True)
        result: FloatArray = np.divide(
            self.counts, totals, out=np.zeros_like(self.counts), where=totals > 0
        )
        return result


def build_chain(
    key_count: int,
    converting_offsets: IntArray,
    converting_keys: IntArray,
    null_offsets: IntArray,
    null_keys: IntArray,
) -> Chain:
    """Count the transitions of the converting paths and of the non-converting paths.

    A path is rows offsets[i]:offsets[i + 1] of its keys array (key codes 0..K-1); empty
    paths add nothing.
    """
    size = key_count + 3
    counts = np.zeros(size * size, dtype=np.float64)
    for offsets, keys, end in ((converting_offsets, converting_keys, key_count + 1),
                               (null_offsets, null_keys, key_count + 2)):  # fmt: skip
        lengths = np.diff(offsets)
        if keys.size == 0:
            continue
        states = keys + 1
        starts = offsets[:-1][lengths > 0]
        lasts = offsets[1:][lengths > 0] - 1
        previous = np.empty_like(states)
        previous[1:] = states[:-1]
        previous[starts] = START
        np.add.at(counts, previous * size + states, 1.0)
        np.add.at(counts, states[lasts] * size + end, 1.0)
    return Chain(counts.reshape(size, size))


@dataclass(frozen=True)
class RemovalEffects:
    """P(conversion) from start and each key's removal effect (0 for keys not in the chain)."""

    conversion_probability: float
    effects: FloatArray


def removal_effects(chain: Chain, *, solve_each_up_to: int = SOLVE_EACH_UP_TO) -> RemovalEffects:
    """Exact removal effects of every key (absorbing-chain linear algebra)."""
    k = chain.keys
    effects = np.zeros(k, dtype=np.float64)
    probabilities = chain.probabilities()
    # Transient states that occur: start and the keys with at least one outgoing transition.
    present = [START] + [key + 1 for key in range(k) if chain.counts[key + 1].sum() > 0]
    if len(present) == 1:
        return RemovalEffects(0.0, effects)
    index = np.asarray(present, dtype=np.int64)
    a = np.eye(len(present)) - probabilities[np.ix_(index, index)]
    b = probabilities[index, chain.conversion]
    x = np.linalg.solve(a, b)
    p_conversion = float(x[0])
    if p_conversion <= 0.0:
        return RemovalEffects(0.0, effects)
    if len(present) - 1 <= solve_each_up_to:
        for position in range(1, len(present)):
            keep = np.delete(np.arange(len(present)), position)
            without = np.linalg.solve(a[np.ix_(keep, keep)], b[keep])
            effects[present[position] - 1] = 1.0 - float(without[0]) / p_conversion
    else:
        fundamental = np.linalg.inv(a)
        diagonal = np.diag(fundamental)
        reach = fundamental[0, 1:] / diagonal[1:]
        values = reach * x[1:] / p_conversion
        effects[index[1:] - 1] = values
    # Round-off can leave -1e-17 where the exact value is 0.
    np.clip(effects, 0.0, 1.0, out=effects)
    return RemovalEffects(p_conversion, effects)
