"""Each model on the worked example of docs/attribution.md, against values counted by hand."""

from decimal import Decimal
from fractions import Fraction as F

import pytest

from smarketing.attribution.domain import (
    NONE_KEY,
    Model,
    ModelResult,
    attribute,
    input_from_records,
)
from tests.attribution.example import CONVERSIONS, MILESTONES, TOUCHES

DATA = input_from_records(CONVERSIONS, TOUCHES, milestones=MILESTONES)

# key: (conversions, revenue), counted by hand in docs/attribution.md.
GOLDEN: dict[Model, dict[str, tuple[F, str]]] = {
    Model.FIRST_TOUCH: {"email": (F(1), "1000.00"), "social": (F(1), "300.00"),
                        "event": (F(0), "0.00"), NONE_KEY: (F(1), "200.00")},
    Model.LAST_TOUCH: {"email": (F(2), "1300.00"), "social": (F(0), "0.00"),
                       "event": (F(0), "0.00"), NONE_KEY: (F(1), "200.00")},
    Model.LINEAR: {"email": (F(9, 10), "550.00"), "social": (F(9, 10), "550.00"),
                   "event": (F(1, 5), "200.00"), NONE_KEY: (F(1), "200.00")},
    # 283.333... and 66.666...: the missing cent goes to the larger remainder (event).
    Model.U_SHAPED: {"email": (F(13, 10), "950.00"), "social": (F(19, 30), "283.33"),
                     "event": (F(1, 15), "66.67"), NONE_KEY: (F(1), "200.00")},
    Model.W_SHAPED: {"email": (F(41, 60), "450.00"), "social": (F(61, 60), "550.00"),
                     "event": (F(3, 10), "300.00"), NONE_KEY: (F(1), "200.00")},
    Model.FULL_PATH: {"email": (F(19, 20), "600.00"), "social": (F(33, 40), "475.00"),
                      "event": (F(9, 40), "225.00"), NONE_KEY: (F(1), "200.00")},
}  # fmt: skip


def credits(result: ModelResult) -> dict[str, tuple[F, str]]:
    return {c.key: (c.conversions, str(c.revenue)) for c in result.credits}


@pytest.mark.parametrize("model", list(GOLDEN))
def test_positional_models_match_the_count_by_hand(model: Model) -> None:
    result = attribute(model, DATA)
    assert credits(result) == GOLDEN[model]
    assert result.conversions == 3
    assert result.revenue == Decimal("1500.00")


def test_time_decay_weights_halve_every_half_life() -> None:
    # Ana's touches are 30, 23, 16, 9 and 2 days old, Ben's 2 and 1 day.
    ana = [2 ** (-age / 7) for age in (30, 23, 16, 9, 2)]
    ben = [2 ** (-age / 7) for age in (2, 1)]
    email = ana[0] / sum(ana) + ana[4] / sum(ana) + ben[1] / sum(ben)
    social = ana[1] / sum(ana) + ana[3] / sum(ana) + ben[0] / sum(ben)
    event = ana[2] / sum(ana)
    got = {c.key: c for c in attribute(Model.TIME_DECAY, DATA).credits}
    assert float(got["email"].conversions) == pytest.approx(email, abs=1e-12)
    assert float(got["social"].conversions) == pytest.approx(social, abs=1e-12)
    assert float(got["event"].conversions) == pytest.approx(event, abs=1e-12)
    expected_email = 1000 * (ana[0] + ana[4]) / sum(ana) + 300 * ben[1] / sum(ben)
    assert abs(float(got["email"].revenue) - expected_email) <= 0.01
    assert sum(c.revenue for c in got.values()) == Decimal("1500.00")
    assert sum(c.conversions for c in got.values()) == 3


def test_time_decay_half_life_changes_the_weights() -> None:
    slow = {c.key: c.conversions for c in attribute(Model.TIME_DECAY, DATA,
                                                    half_life_days=70).credits}  # fmt: skip
    fast = {c.key: c.conversions for c in attribute(Model.TIME_DECAY, DATA,
                                                    half_life_days=1).credits}  # fmt: skip
    # A short half-life favours the last touches (email for both Ana and Ben).
    assert fast["email"] > slow["email"]
    assert fast["event"] < slow["event"]


def test_markov_matches_the_absorbing_chain_solved_by_hand() -> None:
    # P(conversion) = 1/2; removing email: 0, social: 3/16, event: 2/7.
    # Removal effects 1, 5/8, 3/7; shares 56/115, 35/115, 24/115 of 2 conversions, 1300.00.
    result = attribute(Model.MARKOV, DATA)
    assert result.conversion_probability == pytest.approx(0.5, abs=1e-12)
    assert result.removal_effects == pytest.approx(
        {"email": 1.0, "social": 5 / 8, "event": 3 / 7}, abs=1e-12)
    got = credits(result)
    assert float(got["email"][0]) == pytest.approx(112 / 115, abs=1e-12)
    assert float(got["social"][0]) == pytest.approx(70 / 115, abs=1e-12)
    assert float(got["event"][0]) == pytest.approx(48 / 115, abs=1e-12)
    # 633.043..., 395.652..., 271.304...: the missing cent goes to event (.434 remainder).
    assert [got[k][1] for k in ("email", "social", "event", NONE_KEY)] == [
        "633.04", "395.65", "271.31", "200.00"]
    assert got[NONE_KEY][0] == 1
