"""Benchmark: the demo record generator alone (no database, no import).

    nice -n 10 .venv/bin/python benchmarks/demo_generator.py 5000 100000 --repeat 3

For each contact count, runs `smarketing.demo.generator.generate(contacts, seed, now)` to
the end `--repeat` times and prints per run the seconds, the records and the records per
second, then the median. `now` is fixed (2026-11-20 15:30 UTC) so every run and every
checkout makes the same records; the sha256 of the records (orjson, in order) is printed
with the first run so that two checkouts can be seen to make identical output.

To measure another checkout (e.g. main before a change), put its `src` first on the path:
`PYTHONPATH=/path/to/checkout/src .venv/bin/python benchmarks/demo_generator.py ...`; the
first line printed names the module that was measured. With --profile, one more run of
the first count is profiled with cProfile and the top functions printed.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import statistics
import sys
import time
from datetime import UTC, datetime

import orjson

from smarketing.demo import generator

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def run_once(contacts: int, seed: int, fingerprint: bool) -> tuple[float, int, str | None]:
    digest = hashlib.sha256() if fingerprint else None
    count = 0
    started = time.perf_counter()
    if digest is None:
        for _record in generator.generate(contacts, seed, NOW):
            count += 1
    else:
        for record in generator.generate(contacts, seed, NOW):
            digest.update(orjson.dumps(record))
            count += 1
    elapsed = time.perf_counter() - started
    return elapsed, count, None if digest is None else digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contacts", nargs="*", type=int, default=[5000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs; the median is reported")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile one more run")
    args = parser.parse_args()
    print(f"module: {generator.__file__}")
    for contacts in args.contacts:
        rates = []
        times = []
        for run in range(1, args.repeat + 1):
            # The fingerprint costs time of its own: take it in an extra, untimed run.
            if run == 1:
                _e, _n, digest = run_once(contacts, args.seed, fingerprint=True)
                print(f"{contacts:,} contacts: sha256 {digest}")
            elapsed, count, _ = run_once(contacts, args.seed, fingerprint=False)
            times.append(elapsed)
            rates.append(count / elapsed)
            print(f"  run {run}: {count:,} records in {elapsed:.2f} s "
                  f"({count / elapsed:,.0f} records/s)")  # fmt: skip
        print(f"  median of {len(times)}: {statistics.median(times):.2f} s, "
              f"{statistics.median(rates):,.0f} records/s")  # fmt: skip
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run_once(args.contacts[0], args.seed, fingerprint=False)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
