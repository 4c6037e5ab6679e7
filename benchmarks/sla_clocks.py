"""SLA benchmarks (issue 4).

1. Computing the clocks of 100,000 open leads (pure evaluation on a Madrid calendar with
   lunch breaks and holidays): target <= 5 s.
2. One sweeper pass over 1,000,000 open clocks with nothing due, on SQLite: target <= 1 s
   (it is an indexed range query on `next_check_at`).

Usage: .venv/bin/python benchmarks/sla_clocks.py [--leads 100000] [--clocks 1000000] [--repeat 5]
Prints the median of the repeats.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from smarketing.core.database import make_engine, make_session_factory, migrate
from smarketing.sla.calendar import calendar_from_json
from smarketing.sla.clocks import AttemptFact, HandoffFacts, evaluate_clocks
from smarketing.sla.sweeper import sweep
from smarketing.sla.terms import SalesTerms

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CALENDAR = calendar_from_json({
    "timezone": "Europe/Madrid",
    "hours": {d: [["09:00", "14:00"], ["15:00", "18:00"]]
              for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": {"country": "ES", "subdivision": "MD"},
})  # fmt: skip
TERMS = SalesTerms(first_attempt_within_hours=Decimal(8), attempts=5, attempts_within_days=14)


def make_leads(count: int, seed: int = 1) -> list[HandoffFacts]:
    rng = random.Random(seed)
    leads = []
    for _ in range(count):
        start = NOW - timedelta(minutes=rng.randrange(0, 14 * 24 * 60))
        attempts = tuple(
            AttemptFact(start + timedelta(hours=rng.uniform(0.1, 100)))
            for _ in range(rng.randrange(0, 3))
        )
        leads.append(HandoffFacts(start, tuple(a for a in attempts if a.at <= NOW)))
    return leads


def time_clock_computation(leads: list[HandoffFacts]) -> float:
    started = time.perf_counter()
    for facts in leads:
        evaluate_clocks(facts, TERMS, CALENDAR, NOW)
    return time.perf_counter() - started


def build_clock_table(path: Path, count: int) -> None:
    """A migrated workspace with `count` open clocks, none due before NOW."""
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("INSERT INTO users (id, email, name, role, out_of_office)"
               " VALUES (1, 'r@x', 'R', 'sales_rep', '[]')")
    db.execute("INSERT INTO sla_agreements (id, key, version, status, effective_from, marketing,"
               " sales) VALUES (1, 'default', 1, 'active', '2026-01-01', '{}', '{}')")
    rows = (
        (i, 1, 1, "first_attempt", "2026-11-20 10:00:00.000000",
         (NOW + timedelta(seconds=60 + i % 86400)).strftime("%Y-%m-%d %H:%M:%S.%f"),
         "on_track", (NOW + timedelta(seconds=60 + i % 86400)).strftime("%Y-%m-%d %H:%M:%S.%f"),
         0, False)
        for i in range(1, count + 1)
    )  # fmt: skip
    db.executemany(
        "INSERT INTO sla_clocks (contact_id, owner_id, sla_id, kind, started_at, due_at, state,"
        " next_check_at, attempts_done, in_pilot, id) VALUES (?,?,?,?,?,?,?,?,?,?,NULL)",
        ((r[0], *r[1:]) for r in rows),
    )
    db.commit()
    db.close()


def time_sweep(path: Path) -> float:
    engine = make_engine(f"sqlite:///{path}")
    sessions = make_session_factory(engine)
    with sessions() as session:
        started = time.perf_counter()
        stats = sweep(session, NOW)
        elapsed = time.perf_counter() - started
        session.rollback()
    engine.dispose()
    assert stats.examined == 0, stats
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--clocks", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    leads = make_leads(args.leads)
    runs = [time_clock_computation(leads) for _ in range(args.repeat)]
    print(f"clocks for {args.leads:,} open leads: median {statistics.median(runs):.2f} s "
          f"(runs: {', '.join(f'{r:.2f}' for r in runs)}; target <= 5 s)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clocks.db"
        started = time.perf_counter()
        build_clock_table(path, args.clocks)
        print(f"built {args.clocks:,} open clocks in {time.perf_counter() - started:.1f} s")
        runs = [time_sweep(path) for _ in range(args.repeat)]
    print(f"sweeper pass over {args.clocks:,} open clocks, nothing due: median "
          f"{statistics.median(runs) * 1000:.1f} ms (runs: "
          f"{', '.join(f'{r * 1000:.1f}' for r in runs)}; target <= 1 s)")


if __name__ == "__main__":
    main()
