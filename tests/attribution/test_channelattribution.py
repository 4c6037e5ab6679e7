"""The models against the ChannelAttribution package (PyPI `ChannelAttribution`).

first/last/linear must equal its heuristic models exactly (conversions to 1e-9, revenue
to the cent we round to); our exact Markov credits must be within 3 % of its simulated
`markov_model`. The package is a test-only dependency; the tests skip when it cannot be
imported, except under CI=true where they must run.
"""

import contextlib
import io
import os

import numpy as np
import pytest

from smarketing.attribution.domain import Model, attribute
from tests.attribution.paths import input_from_paths

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

try:
    with contextlib.redirect_stdout(io.StringIO()):  # it prints an advertisement on import
        import ChannelAttribution as ca
    import pandas as pd
except ImportError as exc:  # pragma: no cover - depends on the machine
    if IN_CI:
        raise RuntimeError(f"ChannelAttribution must be importable under CI: {exc}") from exc
    pytest.skip(f"ChannelAttribution is not importable: {exc}", allow_module_level=True)

CHANNELS = ["email", "social", "event", "organic", "paid"]


def generate(seed: int, converting: int, nonconverting: int) -> tuple[list[list[str]],
                                                                      list[list[str]],
                                                                      list[int]]:  # fmt: skip
    """Paths of 1-8 touches; converting paths lean to email and event, so the models differ."""
    rng = np.random.default_rng(seed)
    lean = np.array([0.3, 0.15, 0.3, 0.15, 0.1])
    flat = np.full(5, 0.2)

    def paths(count: int, weights: np.ndarray) -> list[list[str]]:
        lengths = rng.integers(1, 9, size=count)
        return [[CHANNELS[i] for i in rng.choice(5, size=n, p=weights)] for n in lengths]

    values = rng.integers(100, 500_000, size=converting).tolist()
    return paths(converting, lean), paths(nonconverting, flat), values


def frame(converting: list[list[str]], nonconverting: list[list[str]],
          values: list[int]) -> "pd.DataFrame":  # fmt: skip
    rows: dict[str, list[float]] = {}
    for path, value in zip(converting, values, strict=True):
        row = rows.setdefault(" > ".join(path), [0.0, 0.0, 0.0])
        row[0] += 1
        row[1] += value / 100
    for path in nonconverting:
        rows.setdefault(" > ".join(path), [0.0, 0.0, 0.0])[2] += 1
    return pd.DataFrame([{"path": p, "conversions": c, "value": v, "null": n}
                         for p, (c, v, n) in rows.items()])  # fmt: skip


def quietly(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args, **kwargs)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_last_and_linear_equal_the_heuristic_models(seed: int) -> None:
    converting, nonconverting, values = generate(seed, 2_000, 0)
    data = input_from_paths(converting, nonconverting, values)
    reference = quietly(ca.heuristic_models, frame(converting, [], values), "path", "conversions",
                        var_value="value", sep=">", flg_pro=False)  # fmt: skip
    reference = reference.set_index("channel_name")
    for model, column in ((Model.FIRST_TOUCH, "first_touch"), (Model.LAST_TOUCH, "last_touch"),
                          (Model.LINEAR, "linear_touch")):  # fmt: skip
        ours = {c.key: c for c in attribute(model, data).credits}
        assert set(ours) == set(reference.index)
        for key, credit in ours.items():
            assert float(credit.conversions) == pytest.approx(
                reference.loc[key, f"{column}_conversions"], rel=1e-9)
            assert abs(float(credit.revenue) - reference.loc[key, f"{column}_value"]) <= 0.01


@pytest.mark.parametrize("seed", [1, 2])
def test_markov_is_within_three_percent_of_the_simulated_markov_model(seed: int) -> None:
    converting, nonconverting, values = generate(seed, 3_000, 6_000)
    ours = attribute(Model.MARKOV, input_from_paths(converting, nonconverting, values))
    # max_step: by default the package stops simulated paths after a few steps (counted as
    # not converting), which moved its removal effects 4-8 % below the exact ones here;
    # with 100 steps they agree to 0.5 %.
    reference = quietly(ca.markov_model, frame(converting, nonconverting, values), "path",
                        "conversions", var_null="null", sep=">", seed=seed, nsim_start=1e6,
                        max_step=100, out_more=True, verbose=False, flg_pro=False)  # fmt: skip
    simulated = reference["result"].set_index("channel_name")["total_conversions"]
    effects = reference["removal_effects"].set_index("channel_name")
    got = {c.key: float(c.conversions) for c in ours.credits}
    assert set(got) == set(simulated.index)
    for key, conversions in got.items():
        assert conversions == pytest.approx(simulated[key], rel=0.03), key
        assert ours.removal_effects[key] == pytest.approx(
            effects.loc[key, "removal_effect"], rel=0.03), key
    # Ours are exact, theirs are simulated: the totals agree, the split differs by noise.
    assert sum(got.values()) == pytest.approx(3_000)
