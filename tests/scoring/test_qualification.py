"""The MQL rule: score and grade thresholds, hand-raises, reasons, validation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from smarketing.core.errors import ValidationError
from smarketing.scoring.domain import Score, ScoringEvent
from smarketing.scoring.qualification import (
    dump_mql_rule,
    load_mql_rule,
    mql_rule_from_data,
    qualify,
)
from tests.scoring.helpers import utc

NOW = utc("2026-11-20T12:00:00")
DEMO_FORM = ScoringEvent("f1", "form_submit", NOW - timedelta(days=2),
                         url="https://nordwood.example/es/demo-request?ref=ads")  # fmt: skip
RULE = {"min_score": 60,
        "hand_raises": [{"id": "demo-request", "kinds": ["form_submit"],
                         "url": ["*/demo-request*"]},
                        {"id": "showroom", "kinds": ["meeting_booked"]}]}  # fmt: skip

CASES = [
    # rule changes, fit, engagement, grade, events, qualified, reason
    ({}, 30, 42.5, "B1", [], True, "score 72.5 >= 60"),
    ({}, 30, 29.96, "B2", [], False, "score 59.9 < 60; no hand-raise in the last 30 days"),
    ({}, 10, 5, "C3", [DEMO_FORM], True,
     "hand-raise demo-request: form_submit https://nordwood.example/es/demo-request?ref=ads"),
    ({}, 50, 20, "A2", [DEMO_FORM], True,
     "score 70 >= 60; hand-raise demo-request: form_submit "
     "https://nordwood.example/es/demo-request?ref=ads"),
    ({"hand_raise_within_days": 1}, 10, 5, "C3", [DEMO_FORM], False,
     "score 15 < 60; no hand-raise in the last 1 days"),
    ({"min_grade": "B2"}, 30, 40, "B1", [], True, "score 70 >= 60 and grade B1 meets B2"),
    ({"min_grade": "B2"}, 50, 15, "A3", [], False, "grade A3 below B2; no hand-raise"),
    ({"min_score": None, "min_grade": "B"}, 20, 0, "B4", [], True, "grade B4 meets B"),
    ({"min_score": None, "min_grade": "B"}, 0, 90, "D1", [], False, "grade D1 below B"),
    ({"hand_raises": []}, 0, 10, "D3", [DEMO_FORM], False, "score 10 < 60"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "fit", "engaged", "grade", "events", "ok", "reason"), CASES)
def test_qualification(changes: dict[str, Any], fit: float, engaged: float, grade: str,
                       events: list[ScoringEvent], ok: bool, reason: str) -> None:  # fmt: skip
    rule = mql_rule_from_data({**RULE, **changes})
    result = qualify(rule, Score(fit, engaged, grade), events, NOW)
    assert result.qualified is ok
    assert result.reason.startswith(reason), result.reason


def test_the_latest_hand_raise_is_named_and_future_ones_do_not_count() -> None:
    rule = mql_rule_from_data(RULE)
    visit = ScoringEvent("m1", "meeting_booked", NOW - timedelta(hours=1),
                         content="Showroom visit booked")  # fmt: skip
    future = ScoringEvent("m2", "meeting_booked", NOW + timedelta(hours=1))
    result = qualify(rule, Score(0, 0, "D4"), [DEMO_FORM, visit, future], NOW)
    assert result.reason == "hand-raise showroom: meeting_booked 'Showroom visit booked'"
    assert not qualify(rule, Score(0, 0, "D4"), [future], NOW).qualified


BAD = [
    ({}, "mql_rule: give min_score, min_grade or hand_raises (else no lead qualifies)"),
    ({"min_grade": "E1"}, "mql_rule.min_grade: 'E1' is not a grade"),
    ({"min_score": "60"}, "mql_rule.min_score: Input should be a valid number"),
    ({"hand_raises": [{"id": "x"}]}, "mql_rule.hand_raises[0]: give at least one condition"),
    ({"hand_raises": [{"id": "x", "kinds": ["chat"]}, {"id": "x", "kinds": ["chat"]}]},
     "mql_rule: hand_raises: ids must be unique"),
    ({"min_score": 1, "min_points": 3}, "mql_rule.min_points: unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "message"), BAD)
def test_validation_names_the_path(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        mql_rule_from_data(data)
    assert message in str(caught.value)


def test_export_is_stable() -> None:
    text = dump_mql_rule(mql_rule_from_data(RULE))
    assert dump_mql_rule(load_mql_rule(text)) == text
    assert text.startswith('{\n  "hand_raises": [\n')
