"""Routing decision latency (issue 12): target p99 <= 5 ms.

100,000 decisions, one `route` call each (rules, availability, round robin, reason),
against a document of 20 rules (country, territory with subdivisions, product line,
persona, company size, contact properties, channel) over 10 pools of 10 reps each
(40 reps on the Madrid, Lisbon and Milan calendars, some out of office), with an
8-business-hour SLA window on the Madrid calendar and a monthly capacity. Leads arrive
every 30 seconds around the clock for 35 days (nights, weekends and holidays included);
10% have a company owner, 5% were captured by a rep, and about a tenth of the rest match
no rule (all 20 tested, then the fallback pool). The round-robin state is carried from
call to call, as the caller would store it.

Usage: .venv/bin/python benchmarks/routing.py [--decisions 100000] [--repeat 3]
Prints p50, p99 and max per run and the median of the runs: wall-clock latency (what a
caller waits) and the thread's CPU time (the same without the time the process spent
preempted on a busy machine).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from smarketing.routing.domain import LeadProfile, Rep, SlaContext, route
from smarketing.routing.roundrobin import RoutingState
from smarketing.routing.rules import RoutingRules, parse_rules
from smarketing.sla.calendar import calendar_from_json

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
CALENDARS = {
    "madrid": calendar_from_json({
        "timezone": "Europe/Madrid",
        "hours": dict.fromkeys(WEEKDAYS, [["09:00", "14:00"], ["15:00", "18:00"]]),
        "holidays": {"country": "ES", "subdivision": "MD"}}),
    "lisbon": calendar_from_json({
        "timezone": "Europe/Lisbon",
        "hours": dict.fromkeys(WEEKDAYS, [["09:00", "13:00"], ["14:00", "18:00"]]),
        "holidays": {"country": "PT", "subdivision": "11"}}),
    "milan": calendar_from_json({
        "timezone": "Europe/Rome",
        "hours": dict.fromkeys(WEEKDAYS, [["08:30", "12:30"], ["13:30", "17:30"]]),
        "holidays": {"country": "IT", "subdivision": "MI"}}),
}  # fmt: skip
START = datetime(2026, 3, 2, tzinfo=UTC)
COUNTRIES = ("ES", "PT", "IT", "FR", "DE")
SUBDIVISIONS = {"ES": ("ES-MD", "ES-CT", "ES-AN", "ES-VC"), "PT": ("PT-11", "PT-13"),
                "IT": ("IT-25", "IT-62"), "FR": ("FR-IDF",), "DE": ("DE-BY",)}  # fmt: skip
LINES = ("kitchens", "office", "hospitality")
PERSONAS = ("kitchen_studio", "interior_architect", "hotel_procurement", "facility_manager")


def build_reps(rng: random.Random) -> dict[str, Rep]:
    reps = {}
    for i in range(40):
        cal = ("madrid", "madrid", "lisbon", "milan")[i % 4]
        away: tuple[tuple[date, date], ...] = ()
        if i % 5 == 0:  # every fifth rep takes a week off during the run
            first = START.date() + timedelta(days=rng.randrange(0, 30))
            away = ((first, first + timedelta(days=6)),)
        email = f"rep{i:02d}@bench.example"
        reps[email] = Rep(email, CALENDARS[cal], name=f"Rep {i}", weight=1 + i % 3,
                          out_of_office=away)  # fmt: skip
    return reps


def build_rules(reps: dict[str, Rep]) -> RoutingRules:
    emails = sorted(reps)
    pools = {f"pool{p}": {"name": f"Pool {p}",
                          "members": [emails[(p * 4 + k) % 40] for k in range(10)]}
             for p in range(10)}  # fmt: skip
    rules: list[dict[str, Any]] = [
        {"key": "vip", "when": {"properties": {"tier": ["platinum"]}}, "pool": "pool0"},
        {"key": "madrid-big", "when": {"territory": ["madrid"], "company_size": {"min": 1000}},
         "pool": "pool1"},
        {"key": "madrid", "when": {"territory": ["madrid"]}, "pool": "pool1"},
        {"key": "catalonia", "when": {"country": ["ES-CT"]}, "pool": "pool2"},
        {"key": "pt-hotels", "when": {"country": ["PT"], "persona": ["hotel_procurement"]},
         "pool": "pool3"},
        {"key": "pt-kitchens", "when": {"country": ["PT"], "product_line": ["kitchens"]},
         "pool": "pool3"},
        {"key": "pt-lisbon", "when": {"country": ["PT-11"]}, "pool": "pool4"},
        {"key": "it-lombardy", "when": {"country": ["IT-25"], "company_size": {"max": 50}},
         "pool": "pool5"},
        {"key": "it-kitchens", "when": {"country": ["IT"], "product_line": ["kitchens"],
                                        "persona": ["kitchen_studio"]}, "pool": "pool5"},
        {"key": "it-budget", "when": {"country": ["IT"],
                                      "properties": {"budget": {"min": 50000}}}, "pool": "pool6"},
        {"key": "fair", "when": {"channel": ["event"], "properties": {"badge": {"exists": True}}},
         "pool": "pool7"},
        {"key": "architects-office", "when": {"persona": ["interior_architect"],
                                              "product_line": ["office"]}, "pool": "pool7"},
        {"key": "hospitality-large", "when": {"product_line": ["hospitality"],
                                              "company_size": {"min": 500}}, "pool": "pool8"},
        {"key": "portuguese-speakers", "when": {"properties": {"language": ["pt"]},
                                                "territory": ["iberia"]}, "pool": "pool3"},
        {"key": "facility-small", "when": {"persona": ["facility_manager"],
                                           "company_size": {"max": 100}}, "pool": "pool8"},
        {"key": "notes-urgent", "when": {"properties": {"notes": {"contains": "urgent"}}},
         "pool": "pool9"},
        {"key": "spain", "when": {"country": ["ES"]}, "pool": "pool2"},
        {"key": "portugal", "when": {"country": ["PT"]}, "pool": "pool4"},
        {"key": "italy", "when": {"country": ["IT"], "properties": {"segment": {"not_in": [
            "competitor"]}}}, "pool": "pool6"},
        {"key": "italy-rest", "when": {"territory": ["italia"]}, "pool": "pool5"},
    ]  # fmt: skip
    assert len(rules) == 20
    return parse_rules({
        "territories": {"madrid": ["ES-MD"], "iberia": ["ES", "PT"], "italia": ["IT", "SM"]},
        "pools": pools, "rules": rules, "fallback_pool": "pool9",
        "policy": {"when_nobody_available": "fallback_pool"},
    })  # fmt: skip


def make_lead(rng: random.Random, index: int, reps: list[str]) -> LeadProfile:
    country = rng.choices(COUNTRIES, weights=(50, 15, 20, 10, 5))[0]
    properties: dict[str, Any] = {"language": rng.choice(("es", "pt", "it", "en")),
                                  "budget": rng.randrange(0, 100_000),
                                  "segment": rng.choice(("smb", "mid", "competitor"))}  # fmt: skip
    if rng.random() < 0.02:
        properties["tier"] = "platinum"
    if rng.random() < 0.1:
        properties["badge"] = "Hall 3"
    return LeadProfile(
        f"lead{index}@bench.example",
        country=country,
        subdivision=rng.choice(SUBDIVISIONS[country]) if rng.random() < 0.7 else None,
        product_line=rng.choice(LINES),
        persona=rng.choice(PERSONAS),
        company_employees=int(rng.lognormvariate(4, 1.5)),
        company_owner=rng.choice(reps) if rng.random() < 0.10 else None,
        captured_by=rng.choice(reps) if rng.random() < 0.05 else None,
        channel=rng.choice(("event", "organic_search", "paid_search", "email")),
        campaign=None,
        properties=properties,
    )


def run(decisions: int, seed: int) -> tuple[list[int], list[int], Counter[str]]:
    rng = random.Random(seed)
    reps = build_reps(random.Random(1))
    rules = build_rules(reps)
    emails = sorted(reps)
    sla = SlaContext(Decimal(8), CALENDARS["madrid"], mqls_per_rep_per_month=5000)
    leads = [make_lead(rng, i, emails) for i in range(decisions)]
    state = RoutingState()
    assigned: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    latencies: list[int] = []
    cpu: list[int] = []
    now = START
    step = timedelta(seconds=30)
    for lead in leads:
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        routed = route(rules, lead, reps, state, now=now, rng=rng, sla=sla,
                       assigned_this_month=assigned)  # fmt: skip
        cpu.append(time.thread_time_ns() - started_cpu)
        latencies.append(time.perf_counter_ns() - started)
        state = routed.state
        decision = routed.decision
        outcomes[f"{decision.via}/{decision.method}"] += 1
        if decision.owner is not None:
            assigned[decision.owner] += 1
        now += step
    return latencies, cpu, outcomes


def percentile(values: list[int], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    p50s, p99s, cpu_p99s = [], [], []
    for attempt in range(args.repeat):
        latencies, cpu, outcomes = run(args.decisions, seed=attempt + 1)
        p50, p99, worst = (percentile(latencies, 0.5), percentile(latencies, 0.99),
                           max(latencies) / 1e6)  # fmt: skip
        p50s.append(p50)
        p99s.append(p99)
        cpu_p99s.append(percentile(cpu, 0.99))
        print(f"run {attempt + 1}: wall p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {worst:.1f} ms,"
              f" mean {statistics.fmean(latencies) / 1e6:.3f} ms; CPU p50"
              f" {percentile(cpu, 0.5):.3f} ms, p99 {cpu_p99s[-1]:.3f} ms,"
              f" max {max(cpu) / 1e6:.1f} ms")  # fmt: skip
        if attempt == 0:
            print("  outcomes:", dict(sorted(outcomes.items())))
    print(f"median of {args.repeat}: wall p50 {statistics.median(p50s):.3f} ms,"
          f" p99 {statistics.median(p99s):.3f} ms (target p99 <= 5 ms);"
          f" CPU p99 {statistics.median(cpu_p99s):.3f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
