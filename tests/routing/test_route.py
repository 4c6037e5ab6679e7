"""The order of evaluation: company owner, captured by, rules, pool; the policies when
nobody is available; simulate changes nothing; decisions explain themselves."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from smarketing.routing.domain import (
    LeadProfile,
    SlaContext,
    captured_by_from,
    route,
    simulate,
)
from smarketing.routing.roundrobin import RoutingState
from smarketing.routing.rules import parse_rules

from .support import MADRID, WEDNESDAY_10, directory, rep

AWAY_THIS_WEEK = [("2026-06-01", "2026-06-05")]
SLA = SlaContext(Decimal(8), MADRID)


def document(**policy: Any) -> dict[str, Any]:
    return {
        "pools": {
            "iberia": {"members": ["ana@x", "pablo@x"]},
            "triage": {"members": ["boss@x"]},
        },
        "rules": [{"key": "spain", "name": "Spain", "when": {"country": ["ES"]},
                   "pool": "iberia"}],
        "fallback_pool": "triage",
        "policy": policy,
    }  # fmt: skip


REPS = directory(rep("ana@x", name="Ana Ruiz"), rep("pablo@x", name="Pablo Herrera"),
                 rep("boss@x", name="The Boss"), rep("owner@x", name="Olga Owner"),
                 rep("away@x", name="Alba Away", away=AWAY_THIS_WEEK),
                 rep("gone@x", name="Gone", active=False))  # fmt: skip


def decide(lead: LeadProfile, doc: dict[str, Any] | None = None, reps: Any = REPS,
           state: RoutingState | None = None, **kwargs: Any) -> Any:  # fmt: skip
    return route(parse_rules(doc or document()), lead, reps, state or RoutingState(),
                 now=WEDNESDAY_10, rng=random.Random(5), sla=SLA, **kwargs)  # fmt: skip


SPAIN = {"country": "ES"}


# --------------------------------------------------------------------------- company owner


def test_company_owner_gets_the_lead_before_any_rule() -> None:
    routed = decide(LeadProfile("l@x", company_owner="Owner@X", **SPAIN))

    assert routed.decision.owner == "owner@x"
    assert routed.decision.via == "company_owner"
    assert routed.decision.method == "owner"
    assert routed.decision.rule is None
    assert routed.decision.reason == "The company's owner, Olga Owner, gets the lead."
    assert routed.state == RoutingState()  # the round robin did not move


def test_company_owner_away_sends_the_lead_through_the_rules() -> None:
    routed = decide(LeadProfile("l@x", company_owner="away@x", **SPAIN))

    assert routed.decision.via == "rule"
    assert routed.decision.owner in ("ana@x", "pablo@x")
    assert routed.decision.steps[0].code == "company_owner_unavailable"
    assert routed.decision.reason.startswith(
        "The company's owner, Alba Away, is out of office until 2026-06-05, so the rules decide."
    )


def test_company_owner_away_keeps_the_lead_when_the_policy_says_keep() -> None:
    doc = document(company_owner={"when_unavailable": "keep"})

    routed = decide(LeadProfile("l@x", company_owner="away@x", **SPAIN), doc)

    assert routed.decision.owner == "away@x"
    assert routed.decision.steps[0].code == "company_owner_kept"
    assert "although out of office until 2026-06-05" in routed.decision.reason


@pytest.mark.parametrize("owner", ["gone@x", "stranger@x"])
def test_an_inactive_or_unknown_company_owner_never_keeps_it(owner: str) -> None:
    doc = document(company_owner={"when_unavailable": "keep"})

    routed = decide(LeadProfile("l@x", company_owner=owner, **SPAIN), doc)

    assert routed.decision.via == "rule"
    assert routed.decision.steps[0].code == "company_owner_inactive"


def test_company_owner_rule_can_be_turned_off() -> None:
    routed = decide(LeadProfile("l@x", company_owner="owner@x", **SPAIN),
                    document(company_owner={"enabled": False}))  # fmt: skip

    assert routed.decision.via == "rule"
    assert routed.decision.steps[0].code == "rule"


# --------------------------------------------------------------------------- captured by


def test_a_captured_lead_stays_with_the_rep_who_captured_it() -> None:
    routed = decide(LeadProfile("l@x", captured_by="pablo@x", **SPAIN))

    assert routed.decision.owner == "pablo@x"
    assert routed.decision.via == "captured_by"
    assert routed.decision.reason == "The rep who captured the lead, Pablo Herrera, gets the lead."


def test_a_captured_lead_stays_even_when_the_rep_is_away_by_default() -> None:
    routed = decide(LeadProfile("l@x", captured_by="away@x", **SPAIN))

    assert routed.decision.owner == "away@x"
    assert routed.decision.steps[0].code == "captured_by_kept"


def test_captured_by_with_policy_rules_goes_to_the_rules_when_away() -> None:
    routed = decide(LeadProfile("l@x", captured_by="away@x", **SPAIN),
                    document(captured_by={"when_unavailable": "rules"}))  # fmt: skip

    assert routed.decision.via == "rule"
    assert [s.code for s in routed.decision.steps] == ["captured_by_unavailable", "rule",
                                                       "round_robin"]  # fmt: skip


def test_the_company_owner_comes_before_the_capturer() -> None:
    routed = decide(LeadProfile("l@x", company_owner="owner@x", captured_by="pablo@x"))

    assert routed.decision.owner == "owner@x"


def test_the_capturer_comes_next_when_the_company_owner_is_away() -> None:
    routed = decide(LeadProfile("l@x", company_owner="away@x", captured_by="pablo@x"))

    assert routed.decision.owner == "pablo@x"
    assert [s.code for s in routed.decision.steps] == ["company_owner_unavailable", "captured_by"]


def test_captured_by_from_activities_and_contact() -> None:
    def at(day: int) -> datetime:
        return datetime(2026, 5, day, tzinfo=UTC)

    activities = [
        (at(3), {"captured_by": "Ana@X"}),
        (at(9), {"captured_by": "pablo@x"}),  # the latest capture wins
        (at(12), {"fields": {"name": "x"}}),  # a later activity without a capture
        (at(1), {}),
    ]
    assert captured_by_from(activities) == "pablo@x"
    assert captured_by_from([], {"captured_by": " Marta@X "}) == "marta@x"
    assert captured_by_from([(at(1), {"captured_by": ""})], {}) is None
    assert captured_by_from(activities, {"captured_by": "marta@x"}) == "pablo@x"


# --------------------------------------------------------------------------- pools


def test_no_rule_matches_so_the_fallback_pool_takes_it() -> None:
    routed = decide(LeadProfile("l@x", country="FR"))

    assert routed.decision.owner == "boss@x"
    assert routed.decision.via == "fallback_pool"
    assert routed.decision.rule is None
    assert routed.decision.reason.startswith(
        "No rule matched, so the fallback pool 'triage' takes it. Weighted round robin in pool"
        " 'triage' chose The Boss"
    )


def test_no_rule_and_no_fallback_pool_means_no_owner() -> None:
    doc = document()
    doc["fallback_pool"] = None

    routed = decide(LeadProfile("l@x", country="FR"), doc)

    assert routed.decision.owner is None
    assert routed.decision.via == "none"
    assert "no fallback pool" in routed.decision.reason


AWAY_REPS = directory(rep("ana@x", name="Ana Ruiz", away=AWAY_THIS_WEEK),
                      rep("pablo@x", name="Pablo Herrera", active=False),
                      rep("boss@x", name="The Boss"))  # fmt: skip


def test_nobody_available_means_no_owner_by_default_and_says_why() -> None:
    routed = decide(LeadProfile("l@x", **SPAIN), reps=AWAY_REPS)

    assert routed.decision.owner is None
    assert routed.decision.via == "none"
    assert routed.decision.rule == "spain"
    assert routed.decision.pool == "iberia"
    assert [(s.user, s.why) for s in routed.decision.skipped] == [
        ("ana@x", "out_of_office"), ("pablo@x", "inactive")]  # fmt: skip
    assert routed.decision.reason.endswith(
        "Nobody in pool 'iberia' is available. Skipped: Ana Ruiz (out of office until"
        " 2026-06-05); Pablo Herrera (not an active user who can take leads). The lead has no"
        " owner (policy when_nobody_available: no_owner)."
    )
    assert routed.state == RoutingState()


def test_members_skipped_for_the_same_reason_are_named_together() -> None:
    reps = directory(rep("ana@x", name="Ana Ruiz", away=AWAY_THIS_WEEK),
                     rep("pablo@x", name="Pablo Herrera", away=AWAY_THIS_WEEK))  # fmt: skip

    routed = decide(LeadProfile("l@x", **SPAIN), reps=reps)

    assert "Skipped: Ana Ruiz, Pablo Herrera (out of office until 2026-06-05)." in (
        routed.decision.reason
    )
    assert len(routed.decision.skipped) == 2


def test_nobody_available_least_loaded_ignores_availability_and_capacity() -> None:
    reps = directory(rep("ana@x", away=AWAY_THIS_WEEK), rep("pablo@x", away=AWAY_THIS_WEEK))

    routed = decide(LeadProfile("l@x", **SPAIN), document(when_nobody_available="least_loaded"),
                    reps=reps, assigned_this_month={"ana@x": 7, "pablo@x": 3})  # fmt: skip

    assert routed.decision.owner == "pablo@x"
    assert routed.decision.method == "least_loaded"
    assert "pablo@x has the fewest leads this month (3)" in routed.decision.reason


def test_nobody_available_fallback_pool_tries_the_fallback_pool() -> None:
    routed = decide(LeadProfile("l@x", **SPAIN), document(when_nobody_available="fallback_pool"),
                    reps=AWAY_REPS)  # fmt: skip

    assert routed.decision.owner == "boss@x"
    assert routed.decision.via == "rule"  # the rule still decided where the search began
    assert routed.decision.pool == "triage"
    assert [s.code for s in routed.decision.steps] == [
        "rule", "pool_unavailable_fallback", "round_robin"]  # fmt: skip


def test_fallback_pool_policy_stops_when_the_fallback_pool_is_empty_too() -> None:
    reps = directory(rep("ana@x", away=AWAY_THIS_WEEK), rep("boss@x", away=AWAY_THIS_WEEK))

    routed = decide(LeadProfile("l@x", **SPAIN), document(when_nobody_available="fallback_pool"),
                    reps=reps)  # fmt: skip

    assert routed.decision.owner is None
    assert [s.code for s in routed.decision.steps] == [
        "rule", "pool_unavailable_fallback", "no_owner"]  # fmt: skip


def test_a_member_weight_overrides_the_users_weight() -> None:
    doc = document()
    doc["pools"]["iberia"]["members"] = [{"user": "ana@x", "weight": 3}, "pablo@x"]
    reps = directory(rep("ana@x", weight=1), rep("pablo@x", weight=3))
    state = RoutingState()
    owners = []
    for _ in range(8):  # two full cycles of total weight 3 + 3
        routed = decide(LeadProfile("l@x", **SPAIN), doc, reps=reps, state=state)
        state = routed.state
        owners.append(routed.decision.owner)

    assert owners.count("ana@x") == 4  # member weight 3 vs user weight 3 for Pablo: 4 and 4
    assert owners.count("pablo@x") == 4


def test_the_users_weight_applies_when_the_member_sets_none() -> None:
    reps = directory(rep("ana@x", weight=3), rep("pablo@x"))
    state = RoutingState()
    owners = []
    for _ in range(8):
        routed = decide(LeadProfile("l@x", **SPAIN), reps=reps, state=state)
        state = routed.state
        owners.append(routed.decision.owner)

    assert (owners.count("ana@x"), owners.count("pablo@x")) == (6, 2)


def test_a_user_weight_of_0_takes_no_leads_unless_the_member_sets_a_weight() -> None:
    reps = directory(rep("ana@x", weight=0), rep("pablo@x"))
    doc = document()

    routed = decide(LeadProfile("l@x", **SPAIN), doc, reps=reps)

    assert routed.decision.owner == "pablo@x"
    assert [(s.user, s.why) for s in routed.decision.skipped] == [("ana@x", "zero_weight")]
    doc["pools"]["iberia"]["members"] = [{"user": "ana@x", "weight": 5}]
    assert decide(LeadProfile("l@x", **SPAIN), doc, reps=reps).decision.owner == "ana@x"


def test_a_tie_is_drawn_at_random_and_said() -> None:
    routed = decide(LeadProfile("l@x", **SPAIN))  # equal weights, fresh state: a tie

    assert routed.decision.tied == ("ana@x", "pablo@x")
    assert "a tie between Ana Ruiz, Pablo Herrera was drawn at random" in routed.decision.reason
    assert dict(routed.decision.earned) == {"ana@x": 1, "pablo@x": 1}


# --------------------------------------------------------------------------- simulate


def test_simulate_answers_like_route_and_changes_nothing() -> None:
    rules = parse_rules(document())
    rng = random.Random(11)
    before = rng.getstate()
    state = RoutingState.from_json({"pools": {"iberia": {"ana@x": -1, "pablo@x": 1}}})
    lead = LeadProfile("l@x", **SPAIN)

    first = simulate(rules, lead, REPS, state, now=WEDNESDAY_10, rng=rng, sla=SLA)
    again = simulate(rules, lead, REPS, state, now=WEDNESDAY_10, rng=rng, sla=SLA)

    assert rng.getstate() == before
    assert first == again
    routed = route(rules, lead, REPS, state, now=WEDNESDAY_10, rng=rng, sla=SLA)
    assert routed.decision == first
    assert routed.state != state  # route moves the counters; simulate did not
    assert state.to_json() == {"format": 1, "pools": {"iberia": {"ana@x": -1, "pablo@x": 1}}}


def test_simulate_without_rng_is_repeatable() -> None:
    rules = parse_rules(document())
    lead = LeadProfile("l@x", **SPAIN)

    answers = {simulate(rules, lead, REPS, RoutingState(), now=WEDNESDAY_10, sla=SLA).owner
               for _ in range(5)}  # fmt: skip

    assert len(answers) == 1


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="now: .* has no UTC offset"):
        route(parse_rules(document()), LeadProfile("l@x"), REPS, RoutingState(),
              now=datetime(2026, 6, 3, 10), rng=random.Random(1))  # noqa: DTZ001  # fmt: skip


def test_state_json_round_trip_and_errors() -> None:
    from smarketing.routing.roundrobin import RoutingStateError

    state = RoutingState.from_json({"format": 1, "pools": {"p": {"b@x": 2, "a@x": -2}}})
    assert RoutingState.from_json(state.to_json()) == state
    assert list(state.to_json()["pools"]["p"]) == ["a@x", "b@x"]
    with pytest.raises(RoutingStateError, match=r"state.pools.p.a@x: expected an integer"):
        RoutingState.from_json({"pools": {"p": {"a@x": 1.5}}})
    with pytest.raises(RoutingStateError, match="state: unknown field"):
        RoutingState.from_json({"pool": {}})
