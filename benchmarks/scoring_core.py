"""Scoring engine micro-benchmark (issue 12): the pure core only, no database.

Contacts and activities come from the demo generator (the same profiles, kinds, URLs and
contents as the demo workspace); generating them is not timed. Measured, each the median
of --repeat runs:

1. full rescore: `Scorer.rescore` of every contact from all its activities (fit rules,
   engagement rules with caps, decay, grade) -> activities and contacts per second;
2. incremental: one new activity onto a contact's existing ledger (`Scorer.update`),
   as an arriving event is scored -> activities per second and microseconds each.

With the default Nordwood model (10 fit + 10 engagement rules = 20) and with a model of
10 fit + 20 engagement rules (each engagement rule twice, so each activity matches twice
as many rules). Times are CPU seconds of the process (the machine is shared). Prints what
rescoring 1,000,000 contacts would take on one core at the demo's activities per contact.

Usage: nice -n 10 .venv/bin/python benchmarks/scoring_core.py [--contacts 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from smarketing.demo.generator import generate
from smarketing.scoring.defaults import default_model
from smarketing.scoring.domain import LedgerEntry, Scorer
from smarketing.scoring.model import ScoringModel, model_from_data
from smarketing.scoring.records import ContactInputs, contacts_from_records

NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)


def doubled_model() -> ScoringModel:
    data = default_model().model_dump(mode="json", exclude_defaults=True)
    copies = [{**rule, "id": rule["id"] + "-2"} for rule in data["engagement_rules"]]
    data["engagement_rules"] = data["engagement_rules"] + copies
    return model_from_data(data)


def median_seconds(run: Callable[[], None], repeat: int) -> tuple[float, list[float]]:
    """Median CPU seconds of the process (the machine is shared: wall time would count the
    other jobs' turns on the cores)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times), times


def bench_rescore(scorer: Scorer, contacts: list[ContactInputs], repeat: int) -> tuple[
    float, list[float]
]:
    def run() -> None:
        for c in contacts:
            scorer.rescore(c.profile, c.events, NOW)

    return median_seconds(run, repeat)


def bench_incremental(scorer: Scorer, contacts: list[ContactInputs], repeat: int) -> tuple[
    float, list[float], int
]:
    """Score each contact's last activity onto the ledger of its earlier ones."""
    cases: list[tuple[ContactInputs, list[LedgerEntry], list]] = []  # type: ignore[type-arg]
    for c in contacts:
        if c.events:
            ordered = sorted(c.events, key=lambda e: (e.at, e.id))
            ledger = list(scorer.rescore(c.profile, ordered[:-1], NOW).entries)
            cases.append((c, ledger, ordered[-1:]))

    def run() -> None:
        for c, ledger, last in cases:
            scorer.update(c.profile, ledger, last, NOW)

    median, times = median_seconds(run, repeat)
    return median, times, len(cases)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    contacts = list(contacts_from_records(generate(args.contacts, 1, NOW)))
    events = sum(len(c.events) for c in contacts)
    per_contact = events / len(contacts)
    print(f"{len(contacts):,} contacts, {events:,} activities ({per_contact:.2f} per contact)")
    for label, model in (("default (10 fit + 10 engagement)", default_model()),
                         ("10 fit + 20 engagement", doubled_model())):  # fmt: skip
        scorer = Scorer(model)
        bench_rescore(scorer, contacts, 1)  # warm the caches (normalized titles, patterns)
        median, times = bench_rescore(scorer, contacts, args.repeat)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"\n{label}\n  full rescore: median {median:.2f} s (runs {runs}): "
              f"{events / median:,.0f} activities/s, {len(contacts) / median:,.0f} contacts/s; "
              f"1,000,000 contacts: {1e6 / (len(contacts) / median):,.0f} s on one core")
        median, times, count = bench_incremental(scorer, contacts, args.repeat)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"  incremental (1 activity onto the ledger): median {median:.2f} s for {count:,} "
              f"(runs {runs}): {count / median:,.0f} activities/s, "
              f"{median / count * 1e6:.0f} us each")


if __name__ == "__main__":
    main()
