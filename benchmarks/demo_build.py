"""Benchmark: build the demo workspace into a fresh SQLite file.

    .venv/bin/python benchmarks/demo_build.py 5000 --repeat 3

Each run migrates a new SQLite file in a temporary directory and loads the demo with
N contacts through the import path, committing at every checkpoint as
`smarketing demo` does. Prints per run the elapsed seconds (build only, migration
excluded), lines per second and the process's peak RSS, then the median of the runs.
With --profile, the last run is profiled with cProfile and the top functions printed.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from smarketing.core.database import make_engine, make_session_factory, migrate
from smarketing.demo.service import build_demo, counts_by_type


def run_once(contacts: int, seed: int, now: datetime, profile: bool) -> (
    tuple[float, int, dict[str, int]]
):
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'demo.db'}")
        migrate(engine)
        session = make_session_factory(engine)()

        def checkpoint() -> None:
            session.commit()
            session.expunge_all()

        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = build_demo(session, contacts, seed, now, checkpoint=checkpoint)
        session.commit()
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        session.close()
        engine.dispose()
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
    return elapsed, report.lines, counts_by_type(report)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contacts", nargs="?", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1, help="runs; the median is reported")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile the last run")
    args = parser.parse_args()
    now = datetime.now(UTC)
    times = []
    for run in range(1, args.repeat + 1):
        profile = args.profile and run == args.repeat
        elapsed, lines, counts = run_once(args.contacts, args.seed, now, profile)
        times.append(elapsed)
        print(f"run {run}: {args.contacts:,} contacts, {lines:,} lines in {elapsed:.1f} s "
              f"({lines / elapsed:,.0f} lines/s), peak RSS {peak_rss_mib():.0f} MiB"
              + (" (profiled)" if profile else ""))  # fmt: skip
        if run == 1:
            print("  " + ", ".join(f"{kind} {count:,}" for kind, count in counts.items()))
    median = statistics.median(times)
    print(f"median of {len(times)}: {median:.1f} s ({lines / median:,.0f} lines/s), "
          f"peak RSS {peak_rss_mib():.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
