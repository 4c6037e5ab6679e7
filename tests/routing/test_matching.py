"""Rule conditions: a golden case for each, and the first match against a brute-force
reading of the raw JSON document."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.routing.domain import LeadProfile, first_matching_rule, route
from smarketing.routing.roundrobin import RoutingState
from smarketing.routing.rules import parse_rules

from .support import WEDNESDAY_10, directory, rep

POOLS = ("madrid", "portugal", "it_kitchens", "architects", "big", "small", "spanish",
         "fair", "salone", "budget", "vip_missing", "tagged", "rest")  # fmt: skip

DOCUMENT: dict[str, Any] = {
    "territories": {"madrid_area": ["ES-MD"], "iberia": ["ES", "PT"]},
    "pools": {pool: {"members": [f"{pool}@x.example"]} for pool in POOLS},
    "rules": [
        {"key": "off", "enabled": False, "when": {}, "pool": "rest"},
        {"key": "madrid", "when": {"territory": ["madrid_area"]}, "pool": "madrid"},
        {"key": "portugal", "when": {"country": ["PT"]}, "pool": "portugal"},
        {"key": "it_kitchens", "when": {"country": ["IT"], "product_line": ["kitchens"]},
         "pool": "it_kitchens"},
        {"key": "architects", "when": {"persona": ["interior_architect"]}, "pool": "architects"},
        {"key": "big", "when": {"company_size": {"min": 1000}}, "pool": "big"},
        {"key": "small", "when": {"company_size": {"max": 10}}, "pool": "small"},
        {"key": "spanish", "when": {"properties": {"preferred_language": ["es"]}},
         "pool": "spanish"},
        {"key": "fair", "when": {"channel": ["event"]}, "pool": "fair"},
        {"key": "salone", "when": {"campaign": ["salone-milano"]}, "pool": "salone"},
        {"key": "budget", "when": {"properties": {"budget": {"min": 10000, "max": 50000}}},
         "pool": "budget"},
        {"key": "vip_missing", "when": {"properties": {"vip": {"exists": False},
                                                       "notes": {"contains": "urgent"}}},
         "pool": "vip_missing"},
        {"key": "tagged", "when": {"properties": {"tags": {"in": ["hotel"],
                                                           "not_in": ["competitor"]}}},
         "pool": "tagged"},
    ],
    "fallback_pool": "rest",
}  # fmt: skip
RULES = parse_rules(DOCUMENT)
REPS = directory(*(rep(f"{pool}@x.example") for pool in POOLS))


def lead(**fields: Any) -> LeadProfile:
    return LeadProfile("someone@lead.example", **fields)


GOLDEN = [
    # territory by subdivision: ES-MD, also given as "MD" with the country
    (lead(country="ES", subdivision="ES-MD"), "madrid"),
    (lead(country="es", subdivision="md"), "madrid"),
    (lead(country="ES", subdivision="ES-CT"), None),  # Catalonia: not in madrid_area
    # country
    (lead(country="PT"), "portugal"),
    (lead(country="pt "), "portugal"),
    # two conditions: both must hold
    (lead(country="IT", product_line="kitchens"), "it_kitchens"),
    (lead(country="IT", product_line="office"), None),
    # persona
    (lead(persona="interior_architect"), "architects"),
    (lead(persona="kitchen_studio"), None),
    # company size: bounds are inclusive, unknown never matches
    (lead(company_employees=1000), "big"),
    (lead(company_employees=999), None),
    (lead(company_employees=10), "small"),
    (lead(company_employees=11), None),
    (lead(company_employees=None), None),
    # any property: text compares case-insensitively
    (lead(properties={"preferred_language": "ES"}), "spanish"),
    (lead(properties={"preferred_language": "pt"}), None),
    # channel and campaign
    (lead(channel="event"), "fair"),
    (lead(campaign="salone-milano"), "salone"),
    (lead(campaign="habitat-valencia"), None),
    # numeric property range, numbers given as text too
    (lead(properties={"budget": 10000}), "budget"),
    (lead(properties={"budget": "25000.50"}), "budget"),
    (lead(properties={"budget": 50001}), None),
    (lead(properties={"budget": "a lot"}), None),
    # exists false + contains
    (lead(properties={"notes": "URGENT: call back"}), "vip_missing"),
    (lead(properties={"notes": "urgent", "vip": True}), None),
    (lead(properties={"notes": "later"}), None),
    # list-valued property: in = one item matches, not_in = no item matches
    (lead(properties={"tags": ["Hotel", "spa"]}), "tagged"),
    (lead(properties={"tags": ["hotel", "competitor"]}), None),
    (lead(properties={"tags": "hotel"}), "tagged"),
    # the first matching rule wins: Madrid beats the big-company rule below it
    (lead(country="ES", subdivision="MD", company_employees=5000), "madrid"),
    # the disabled catch-all rule never matches
    (lead(), None),
]


@pytest.mark.parametrize(("profile", "rule"), GOLDEN)
def test_each_condition(profile: LeadProfile, rule: str | None) -> None:
    found = first_matching_rule(RULES, profile)

    assert (found[1].key if found else None) == rule
    routed = route(RULES, profile, REPS, RoutingState(), now=WEDNESDAY_10, rng=random.Random(1))
    decision = routed.decision
    assert decision.owner == f"{rule or 'rest'}@x.example"
    assert decision.rule == rule
    assert decision.via == ("rule" if rule else "fallback_pool")
    if rule:
        assert decision.rule_position == [r["key"] for r in DOCUMENT["rules"]].index(rule) + 1


@pytest.mark.parametrize(("profile", "expected"), [
    (lead(country="ES", subdivision="MD"), ["ES-MD is in territory madrid_area"]),
    (lead(country="IT", product_line="kitchens"),
     ["country IT is in [IT]", "product line kitchens is in [kitchens]"]),
    (lead(company_employees=4000), ["company size 4000 employees is >= 1000"]),
    (lead(company_employees=3), ["company size 3 employees is 0-10"]),
    (lead(properties={"budget": 12000}), ["property budget = 12000"]),
])  # fmt: skip
def test_the_decision_says_which_conditions_held(
    profile: LeadProfile, expected: list[str]
) -> None:
    decision = route(RULES, profile, REPS, RoutingState(), now=WEDNESDAY_10,
                     rng=random.Random(1)).decision  # fmt: skip

    assert list(decision.matched) == expected
    assert f"Rule #{decision.rule_position} '{decision.rule}' matched: " in decision.reason
    assert "; ".join(expected) in decision.reason


# --------------------------------------------------------------------------- oracle

COUNTRIES = ("ES", "PT", "IT", "FR")
SUBDIVISIONS = ("ES-MD", "ES-CT", "PT-11", None)
KEYS = ("a", "b", "c")
PROP_VALUES = ("pt", "PT", "es", 1, 2, " es")


def _norm(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _oracle_condition(doc: dict[str, Any], name: str, cond: Any, lead: dict[str, Any]) -> bool:
    places = {lead["country"], lead["subdivision"]} - {None}
    if name == "country":
        return bool(places & set(cond))
    if name == "territory":
        return any(places & set(doc["territories"][t]) for t in cond)
    if name == "company_size":
        n = lead["company_employees"]
        return n is not None and cond.get("min", 0) <= n <= cond.get("max", 10**9)
    if name == "properties":
        for prop, ops in cond.items():
            value = lead["properties"].get(prop)
            if "in" in ops and (value is None or _norm(value) not in map(_norm, ops["in"])):
                return False
            if "exists" in ops and (value is not None) != ops["exists"]:
                return False
        return True
    return lead[name] in cond


def oracle_first_match(doc: dict[str, Any], lead: dict[str, Any]) -> str | None:
    for rule in doc["rules"]:
        if rule.get("enabled", True) and all(
            _oracle_condition(doc, name, cond, lead) for name, cond in rule["when"].items()
        ):
            return str(rule["key"])
    return None


conditions = st.fixed_dictionaries({}, optional={
    "country": st.lists(st.sampled_from(("ES", "PT", "IT", "ES-MD")), min_size=1, max_size=2),
    "territory": st.lists(st.sampled_from(("t1", "t2")), min_size=1, max_size=2),
    "product_line": st.lists(st.sampled_from(KEYS), min_size=1, max_size=2),
    "persona": st.lists(st.sampled_from(KEYS), min_size=1, max_size=2),
    "channel": st.lists(st.sampled_from(KEYS), min_size=1, max_size=2),
    "campaign": st.lists(st.sampled_from(KEYS), min_size=1, max_size=2),
    "company_size": st.one_of(
        st.fixed_dictionaries({"min": st.integers(0, 50)}),
        st.fixed_dictionaries({"max": st.integers(0, 50)}),
        st.tuples(st.integers(0, 50), st.integers(0, 50)).map(
            lambda t: {"min": min(t), "max": max(t)}),
    ),
    "properties": st.dictionaries(
        st.sampled_from(("lang", "tier")),
        st.one_of(
            st.fixed_dictionaries({"in": st.lists(st.sampled_from(PROP_VALUES), min_size=1,
                                                  max_size=3)}),
            st.fixed_dictionaries({"exists": st.booleans()}),
        ),
        min_size=1, max_size=2,
    ),
})  # fmt: skip

documents = st.lists(
    st.tuples(conditions, st.booleans()), min_size=0, max_size=6
).map(lambda rules: {
    "territories": {"t1": ["ES", "PT-11"], "t2": ["IT", "ES-CT"]},
    "pools": {"p": {"members": ["r@x.example"]}},
    "rules": [{"key": f"r{i}", "when": when, "pool": "p", "enabled": enabled}
              for i, (when, enabled) in enumerate(rules)],
})  # fmt: skip

leads = st.fixed_dictionaries({
    "country": st.sampled_from(COUNTRIES + (None,)),
    "subdivision": st.sampled_from(SUBDIVISIONS),
    "product_line": st.sampled_from(KEYS + (None,)),
    "persona": st.sampled_from(KEYS + (None,)),
    "channel": st.sampled_from(KEYS + (None,)),
    "campaign": st.sampled_from(KEYS + (None,)),
    "company_employees": st.one_of(st.none(), st.integers(0, 60)),
    "properties": st.dictionaries(st.sampled_from(("lang", "tier", "other")),
                                  st.sampled_from(PROP_VALUES), max_size=3),
})  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(document=documents, lead_fields=leads)
def test_first_match_agrees_with_a_brute_force_reading_of_the_json(
    document: dict[str, Any], lead_fields: dict[str, Any]
) -> None:
    if lead_fields["subdivision"] and lead_fields["country"] != lead_fields["subdivision"][:2]:
        lead_fields["subdivision"] = None  # a subdivision lies in its own country
    rules = parse_rules(document)

    found = first_matching_rule(rules, LeadProfile("l@x.example", **lead_fields))

    assert (found[1].key if found else None) == oracle_first_match(document, lead_fields)
