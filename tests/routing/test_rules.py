"""The routing document: validation names the path; canonical JSON round-trips; the
demo's shipped document matches the demo workspace."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from smarketing.demo.generator import PERSONAS, PRODUCT_LINES, TEAM_OF_COUNTRY, USERS
from smarketing.routing.presets import PRESETS, load_preset, preset_document
from smarketing.routing.rules import (
    KnownNames,
    OwnerPolicy,
    RoutingRulesError,
    parse_rules,
    rules_to_json,
)


def _document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": 1,
        "territories": {"iberia": ["ES", "PT"], "madrid": ["ES-MD"]},
        "pools": {
            "iberia": {"name": "Iberia", "members": [
                {"user": "ana@x.example", "weight": 2}, {"user": "pablo@x.example"}]},
            "triage": {"members": ["boss@x.example"]},
        },
        "rules": [
            {"key": "madrid", "when": {"territory": ["madrid"]}, "pool": "iberia"},
            {"key": "big", "name": "Big accounts",
             "when": {"company_size": {"min": 500}, "properties": {"tier": ["gold"]}},
             "pool": "triage"},
        ],
        "fallback_pool": "triage",
    }  # fmt: skip
    document.update(changes)
    return document


def test_a_valid_document_parses_with_defaults() -> None:
    rules = parse_rules(_document())

    assert [r.key for r in rules.rules] == ["madrid", "big"]
    assert rules.rules[0].when.territory_places == frozenset({"ES-MD"})
    assert rules.pools["iberia"].members[0].weight == 2
    assert rules.pools["iberia"].members[1].weight is None  # the user's own weight
    assert rules.pools["triage"].members[0].user == "boss@x.example"  # shorthand member
    assert rules.policy.company_owner == OwnerPolicy(True, "rules")
    assert rules.policy.captured_by == OwnerPolicy(True, "keep")
    assert rules.policy.when_nobody_available == "no_owner"
    assert rules.policy.default_window_hours == Decimal(8)


def _bad(path: list[str | int], value: Any) -> dict[str, Any]:
    """The document with the value at `path` replaced (or removed when value is ...)."""
    document = copy.deepcopy(_document())
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


BAD = [
    (_bad(["rules", 0, "when", "country"], ["España"]),
     "rules[0].when.country[0]: 'España' is not a country code"),
    (_bad(["rules", 0, "when", "country"], ["XX-1"]), "rules[0].when.country[0]: 'XX-1'"),
    (_bad(["rules", 0, "when", "country"], "ES"),
     'rules[0].when.country: expected a non-empty list such as ["ES", "PT"]'),
    (_bad(["rules", 0, "when", "territory"], ["nowhere"]),
     "rules[0].when.territory[0]: unknown territory 'nowhere'"),
    (_bad(["rules", 1, "pool"], "sales"), "rules[1].pool: unknown pool 'sales' (pools: iberia,"),
    (_bad(["rules", 1, "key"], "madrid"),
     "rules[1].key: 'madrid' is already the key of rules[0]"),
    (_bad(["rules", 1, "key"], "big one"), "rules[1].key: a rule key must be"),
    (_bad(["rules", 0, "pool"], ...), "rules[0].pool: required field is missing"),
    (_bad(["rules", 0, "key"], ...), "rules[0].key: required field is missing (a rule key)"),
    (_bad(["rules", 1, "when", "company_size"], {"min": 10, "max": 5}),
     "rules[1].when.company_size: min 10 is greater than max 5"),
    (_bad(["rules", 1, "when", "company_size"], {"min": -1}),
     "rules[1].when.company_size.min: must be >= 0, got -1"),
    (_bad(["rules", 1, "when", "company_size"], {}),
     "rules[1].when.company_size: give min, max or both"),
    (_bad(["rules", 1, "when", "properties"], {"tier": {"equals": "gold"}}),
     "rules[1].when.properties.tier: unknown field(s) 'equals'"),
    (_bad(["rules", 1, "when", "properties"], {"tier": {"min": "lots"}}),
     "rules[1].when.properties.tier.min: expected a number, got 'lots'"),
    (_bad(["rules", 1, "when", "properties"], {"tier": {"in": [["a"]]}}),
     "rules[1].when.properties.tier.in[0]: expected text, a number or a boolean"),
    (_bad(["rules", 1, "when", "properties"], {"tier": {"exists": "yes"}}),
     "rules[1].when.properties.tier.exists: expected true or false, got 'yes'"),
    (_bad(["rules", 1, "when", "colour"], ["red"]), "rules[1].when: unknown field(s) 'colour'"),
    (_bad(["rules", 1, "enabled"], "no"), "rules[1].enabled: expected true or false, got 'no'"),
    (_bad(["rules"], {"a": 1}), "rules: expected a list of rules, got an object"),
    (_bad(["pools", "iberia", "members", 0, "weight"], 0),
     "pools.iberia.members[0].weight: must be between 1 and 1000, got 0"),
    (_bad(["pools", "iberia", "members", 0, "weight"], 1.5),
     "pools.iberia.members[0].weight: expected a whole number, got 1.5"),
    (_bad(["pools", "iberia", "members", 0, "capacity"], -3),
     "pools.iberia.members[0].capacity: must be >= 0, got -3"),
    (_bad(["pools", "iberia", "members", 1, "user"], "ANA@x.example"),
     "pools.iberia.members[1].user: ana@x.example is listed twice"),
    (_bad(["pools", "iberia", "members", 1, "user"], "pablo"),
     "pools.iberia.members[1].user: expected a user's email, got 'pablo'"),
    (_bad(["pools", "iberia", "members"], []), "pools.iberia.members: expected a non-empty list"),
    (_bad(["pools", "iberia", "leader"], "ana"), "pools.iberia: unknown field(s) 'leader'"),
    (_bad(["pools"], {}), "pools: define at least one pool of reps"),
    (_bad(["territories", "madrid"], ["ES-MD", 7]),
     "territories.madrid[1]: expected a country code such as ES"),
    (_bad(["fallback_pool"], "everyone"), "fallback_pool: unknown pool 'everyone'"),
    (_bad(["format"], 2), "format: this version reads format 1, got 2"),
    (_bad(["colour"], "red"), "document: unknown field(s) 'colour'"),
    (_bad(["policy"], {"when_nobody_available": "anyone"}),
     "policy.when_nobody_available: expected one of no_owner, least_loaded, fallback_pool"),
    (_bad(["policy"], {"company_owner": {"when_unavailable": "wait"}}),
     "policy.company_owner.when_unavailable: expected one of rules, keep, got 'wait'"),
    (_bad(["policy"], {"captured_by": {"enabled": "sometimes"}}),
     "policy.captured_by.enabled: expected true or false"),
    (_bad(["policy"], {"default_window_hours": 0}),
     "policy.default_window_hours: must be greater than 0, got 0"),
]  # fmt: skip


@pytest.mark.parametrize(("document", "message"), BAD)
def test_bad_documents_name_the_path(document: dict[str, Any], message: str) -> None:
    with pytest.raises(RoutingRulesError) as caught:
        parse_rules(document)

    assert any(problem.startswith(message) for problem in caught.value.problems), (
        caught.value.problems
    )


def test_fallback_pool_policy_needs_a_fallback_pool() -> None:
    document = _document(fallback_pool=None, policy={"when_nobody_available": "fallback_pool"})

    with pytest.raises(RoutingRulesError, match="fallback_pool needs a fallback_pool"):
        parse_rules(document)


def test_every_problem_is_reported_at_once() -> None:
    document = _bad(["rules", 0, "when", "country"], ["España"])
    document["pools"]["iberia"]["members"][0]["weight"] = 0
    document["fallback_pool"] = "nobody"

    with pytest.raises(RoutingRulesError) as caught:
        parse_rules(document)

    assert len(caught.value.problems) == 3
    assert str(caught.value).startswith("routing rules: 3 problems: ")


def test_not_an_object() -> None:
    with pytest.raises(RoutingRulesError, match="document: expected an object, got a list"):
        parse_rules([])


def test_known_names_catch_unknown_references() -> None:
    document = _document()
    document["rules"][0]["when"]["product_line"] = ["kitchens", "boats"]
    document["rules"][0]["when"]["persona"] = ["chef"]
    known = KnownNames(users={"ana@x.example", "boss@x.example"},
                       product_lines={"kitchens"}, personas={"architect"})  # fmt: skip

    with pytest.raises(RoutingRulesError) as caught:
        parse_rules(document, known)

    assert caught.value.problems == (
        "pools.iberia.members[1].user: unknown user 'pablo@x.example'",
        "rules[0].when.product_line[1]: unknown product line 'boats'",
        "rules[0].when.persona[0]: unknown persona 'chef'",
    )


def test_canonical_json_round_trips() -> None:
    document = _document(policy={"when_nobody_available": "least_loaded",
                                 "default_window_hours": 4.5})  # fmt: skip
    document["rules"][1]["when"]["properties"] = {
        "tier": {"in": ["gold", 3], "not_in": [False]},
        "budget": {"min": 1000, "max": 2500.5},
        "notes": {"contains": "urgent", "exists": True},
    }
    document["rules"][0]["enabled"] = False

    rules = parse_rules(document)
    dumped = rules_to_json(rules)

    assert parse_rules(dumped) == rules
    assert rules_to_json(parse_rules(json.loads(json.dumps(dumped)))) == dumped
    assert dumped["rules"][0]["enabled"] is False
    assert dumped["policy"]["default_window_hours"] == 4.5
    assert dumped["rules"][1]["when"]["properties"]["budget"] == {"min": 1000, "max": 2500.5}


# --------------------------------------------------------------------------- the demo


def test_the_demo_document_references_only_what_the_demo_has() -> None:
    known = KnownNames(
        users={u.email for u in USERS},
        product_lines=set(PRODUCT_LINES),
        personas={p.key for p in PERSONAS},
    )

    rules = load_preset("demo", known)

    assert "demo" in PRESETS
    assert rules_to_json(rules) == preset_document("demo")  # shipped in canonical form


def test_the_demo_document_matches_the_demo_teams() -> None:
    rules = load_preset("demo")
    reps_of = {team: {u.email for u in USERS if u.role == "sales_rep" and u.team == team}
               for team in set(TEAM_OF_COUNTRY.values())}  # fmt: skip

    for country, team in TEAM_OF_COUNTRY.items():
        pools = {r.pool for r in rules.rules
                 if country in (r.when.country or ()) or country in r.when.territory_places}
        assert pools, country
        for pool in pools:  # every pool a country can reach holds exactly that team's reps
            assert {m.user for m in rules.pools[pool].members} == reps_of[team], (country, pool)
    managers = {u.email for u in USERS if u.role == "sales_manager"}
    assert rules.fallback_pool is not None
    assert {m.user for m in rules.pools[rules.fallback_pool].members} == managers


def test_unknown_preset() -> None:
    with pytest.raises(KeyError, match="unknown routing preset 'acme'"):
        preset_document("acme")
