"""The scoring model document: validation with paths, canonical text, versions and diffs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarketing.core.errors import ValidationError
from smarketing.scoring.model import diff_models, dump_model, load_model, model_from_data
from tests.scoring.helpers import BASE, make_model, model_data

BAD = [
    ({"version": 0}, "model.version: Input should be greater than or equal to 1"),
    ({"version": "2"}, "model.version: Input should be a valid integer"),
    ({"key": "Has Spaces"}, "model.key: String should match pattern"),
    ({"timezone": "Europe/Madird"}, "model: timezone: 'Europe/Madird' is not an IANA timezone"),
    ({"half_life_days": 0}, "model.half_life_days: Input should be greater than 0"),
    ({"fit_grades": {"A": 30, "B": 20}}, "fit_grades: give a threshold for each of A, B, C"),
    ({"fit_grades": {"A": 10, "B": 20, "C": 5}},
     "fit_grades: thresholds must go down from A, got A 10, B 20, C 5"),
    ({"engagement_grades": {"1": 9, "2": 5, "4": 1}},
     "model.engagement_grades.4.[key]: Input should be '1', '2' or '3'"),
    ({"fit_rules": [{"id": "x", "points": 5, "when": {}}]},
     "model.fit_rules[0].when: give at least one condition"),
    ({"fit_rules": [{"id": "x", "points": 5.5, "when": {"countries": ["ES"]}}]},
     "model.fit_rules[0].points: Input should be a valid integer"),
    ({"fit_rules": [{"id": "x", "points": 5, "when": {"email_kinds": ["gmail"]}}]},
     "model.fit_rules[0].when.email_kinds[0]: Input should be 'free_mail', 'competitor' or"),
    ({"engagement_rules": [{"id": "x", "points": 1, "when": {"kinds": ["visit"]}}]},
     "model.engagement_rules[0].when.kinds[0]: Input should be 'page_view'"),
    ({"engagement_rules": [{"id": "x", "points": 1, "cap_per_day": 0,
                            "when": {"kinds": ["page_view"]}}]},
     "model.engagement_rules[0].cap_per_day: Input should be greater than or equal to 1"),
    ({"engagement_rules": [{"id": "x", "points": 1, "when": {"url_regex": "(unclosed"}}]},
     "model.engagement_rules[0].when.url_regex: not a valid regular expression"),
    ({"engagement_rules": [{"id": "x", "points": 1,
                            "when": {"url": ["*/a"], "url_regex": "b"}}]},
     "model.engagement_rules[0].when: give url (globs) or url_regex, not both"),
    ({"engagement_rules": [{"id": "spain", "points": 1, "when": {"kinds": ["chat"]}}]},
     "model: rule ids must be unique, repeated: spain"),
    ({"engagement_rules": [{"id": "x", "points": 1, "when": {"kinds": ["chat"]}, "cap": 3}]},
     "model.engagement_rules[0].cap: unknown key (a typo?)"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_validation_names_the_path(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        model_from_data(model_data(**changes))
    assert message in str(caught.value)


def test_missing_fields_and_bad_json() -> None:
    with pytest.raises(ValidationError, match="model.name: Field required"):
        model_from_data({k: v for k, v in BASE.items() if k != "name"})
    with pytest.raises(ValidationError, match=r"scoring.json: not valid JSON"):
        load_model("{'key': 1}", where="scoring.json")
    with pytest.raises(ValidationError, match="model: must be a JSON object, got an array"):
        model_from_data([BASE])


def test_export_is_canonical_and_stable() -> None:
    text = dump_model(make_model())
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert dump_model(load_model(text)) == text
    # whole numbers stay whole, defaults are left out, a lone string became a list
    data = json.loads(dump_model(make_model(half_life_days=30.0, description="")))
    assert data["half_life_days"] == 30
    assert isinstance(data["half_life_days"], int)
    assert "description" not in data
    assert json.loads(text)["engagement_rules"][0] == {
        "cap_per_day": 10, "id": "visit", "points": 4, "when": {"kinds": ["page_view"]}}


def test_keys_in_any_order_give_the_same_bytes() -> None:
    data = model_data(half_life_days=7.5)
    shuffled = dict(reversed(list(data.items())))
    shuffled["engagement_rules"] = [dict(reversed(list(r.items())))
                                    for r in data["engagement_rules"]]  # fmt: skip
    assert dump_model(model_from_data(shuffled)) == dump_model(model_from_data(data))


@given(points=st.lists(st.integers(-1000, 1000), min_size=1, max_size=5),
       half_life=st.none() | st.floats(0.01, 1000, allow_nan=False),
       caps=st.lists(st.none() | st.integers(1, 500), min_size=5, max_size=5))  # fmt: skip
def test_round_trip_is_byte_identical(points: list[int], half_life: float | None,
                                      caps: list[int | None]) -> None:  # fmt: skip
    rules = [{"id": f"r{i}", "points": p, "when": {"kinds": ["chat"]}}
             for i, p in enumerate(points)]  # fmt: skip
    for rule, cap in zip(rules, caps, strict=False):
        if cap is not None:
            rule["cap_per_day"] = cap
    text = dump_model(make_model(engagement_rules=rules, half_life_days=half_life))
    assert dump_model(load_model(text)) == text
    assert load_model(text) == load_model(text.encode())


def test_diff_lists_settings_thresholds_and_rules() -> None:
    old = make_model()
    data = model_data(version=2, half_life_days=45)
    data["fit_grades"]["A"] = 35
    data["fit_rules"] = [r for r in data["fit_rules"] if r["id"] != "big"]
    data["fit_rules"].append({"id": "hotel", "points": 20, "when": {"industries": ["Hospitality"]}})
    data["engagement_rules"][0]["points"] = 5
    data["engagement_rules"][0].pop("cap_per_day")
    data["engagement_rules"][2]["when"]["content"].append("Contact sales")
    new = model_from_data(data)
    assert [str(c) for c in diff_models(old, new)] == [
        "version: 1 -> 2",
        "half_life_days: 30 -> 45",
        "fit_grades.A: 30 -> 35",
        "fit_rules[big] removed (was +15 points when {\"employees\": {\"min\": 100}})",
        "fit_rules[hotel] added: +20 points when {\"industries\": [\"Hospitality\"]}",
        "engagement_rules[visit].points: 4 -> 5",
        "engagement_rules[visit].cap_per_day: 10 -> none",
        "engagement_rules[quote].when.content: [\"Quote request\"] -> "
        "[\"Quote request\", \"Contact sales\"]",
    ]
    assert diff_models(new, new) == []


def test_diff_of_timezone_and_email_domains() -> None:
    old = make_model()
    new = make_model(timezone="Europe/Lisbon",
                     email_domains={"competitor": ["Rival.example"]})  # fmt: skip
    assert [str(c) for c in diff_models(old, new)] == [
        "timezone: Europe/Madrid -> Europe/Lisbon",
        "email_domains.competitor: [] -> [\"rival.example\"]",
    ]
