"""Build the models' input straight from key paths (for Markov and package comparisons)."""

from collections.abc import Sequence

import numpy as np

from smarketing.attribution.domain import AttributionInput, ConvertingPaths, Paths


def key_paths(paths: Sequence[Sequence[str]], keys: Sequence[str]) -> Paths:
    code = {key: index for index, key in enumerate(keys)}
    offsets = np.zeros(len(paths) + 1, dtype=np.int64)
    np.cumsum([len(path) for path in paths], out=offsets[1:])
    flat = np.asarray([code[key] for path in paths for key in path], dtype=np.int64)
    return Paths(offsets, flat)


def input_from_paths(
    converting: Sequence[Sequence[str]],
    nonconverting: Sequence[Sequence[str]],
    values_cents: Sequence[int] | None = None,
) -> AttributionInput:
    """Converting paths (one per conversion; an empty one is a conversion without touches)
    and non-converting paths. Touches are a day apart; milestones on the first touch."""
    keys = sorted({key for path in [*converting, *nonconverting] for key in path})
    paths = key_paths(converting, keys)
    lengths = np.diff(paths.offsets)
    age = np.concatenate([np.arange(n, 0, -1, dtype=np.int64) * 86_400_000_000
                          for n in lengths] or [np.zeros(0, dtype=np.int64)])  # fmt: skip
    values = np.asarray(values_cents if values_cents is not None else [0] * len(converting),
                        dtype=np.int64)  # fmt: skip
    zeros = np.zeros(len(converting), dtype=np.int64)
    return AttributionInput(
        keys=tuple(keys),
        converting=ConvertingPaths(paths, age.astype(np.int64), values, zeros, zeros),
        nonconverting=key_paths(nonconverting, keys),
    )
