"""Benchmark: the demo record generator alone (no database, no import).

    nice -n 10 .venv/bin/python benchmarks/demo_generator.py 5000 100000 --repeat 3

Each run is a fresh Python process that runs `smarketing.demo.generator.generate(contacts,
seed, now)` to the end once, as `smarketing demo` does, and reports the seconds and the
records per second. Before the clock starts, the process imports the generator and loads
the `holidays` package's country list (about 0.1-0.3 s here, paid once per process by
whichever builds the first business calendar: the importer pays it in a demo build in
any case); everything else, calendars and their day plans included, is timed.

`now` is fixed (2026-11-20 15:30 UTC) so that every run and every checkout makes the
same records; with --fingerprint, one more untimed run prints the sha256 of the records
(orjson, in order), so two checkouts can be seen to make identical output.

With `--baseline DIR` (the `src` folder of another checkout, e.g. main before a change,
made with `git archive main src | tar -x -C /tmp/main`), every run of this checkout is
paired with a run of that one, alternately, and the ratio of their medians is printed:
on a shared machine, the load then weighs on both alike. With --profile, one more run of
the first count is profiled with cProfile in this process and the top functions printed.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def run_once(contacts: int, seed: int) -> dict[str, Any]:
    """One timed run in this process (the child's side)."""
    import holidays

    from smarketing.demo import generator
    from smarketing.demo.generator import generate

    holidays.list_supported_countries()  # the once-per-process import of every country
    count = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _record in generate(contacts, seed, NOW):
        count += 1
    cpu = time.process_time() - cpu_started
    elapsed = time.perf_counter() - started
    return {"records": count, "seconds": elapsed, "cpu_seconds": cpu, "module": generator.__file__}


def run_in_child(contacts: int, seed: int, source: str | None = None) -> dict[str, Any]:
    """One timed run in a fresh process, of this checkout or of the `src` folder `source`."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    command = [sys.executable, __file__, "--child", str(contacts), "--seed", str(seed)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    result: dict[str, Any] = json.loads(output.stdout)
    if source is not None and not result["module"].startswith(os.path.abspath(source)):
        raise SystemExit(f"the baseline run imported {result['module']}, not from {source}")
    return result


def summary(label: str, contacts: int, runs: list[dict[str, Any]]) -> tuple[float, float]:
    """Print the runs and their medians; return the median seconds and CPU seconds."""
    for number, run in enumerate(runs, 1):
        print(f"  {label}{contacts:,} contacts, run {number}: {run['records']:,.0f} records in "
              f"{run['seconds']:.2f} s ({run['records'] / run['seconds']:,.0f} records/s; "
              f"CPU {run['cpu_seconds']:.2f} s)")  # fmt: skip
    seconds = statistics.median(run["seconds"] for run in runs)
    cpu = statistics.median(run["cpu_seconds"] for run in runs)
    print(f"  {label}{contacts:,} contacts, median of {len(runs)}: {seconds:.2f} s, "
          f"{runs[0]['records'] / seconds:,.0f} records/s (CPU {cpu:.2f} s)")  # fmt: skip
    return seconds, cpu


def fingerprint(contacts: int, seed: int) -> str:
    import orjson

    from smarketing.demo.generator import generate

    digest = hashlib.sha256()
    for record in generate(contacts, seed, NOW):
        digest.update(orjson.dumps(record))
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("contacts", nargs="*", type=int, default=[5000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs; the median is reported")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fingerprint", action="store_true", help="print the records' sha256")
    parser.add_argument("--baseline", help="src folder of a checkout to pair every run with")
    parser.add_argument("--profile", action="store_true", help="cProfile one more run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_once(args.contacts[0], args.seed)))
        return
    from smarketing.demo import generator

    print(f"module: {generator.__file__}")
    if args.baseline:
        print(f"baseline: {args.baseline}")
    for contacts in args.contacts:
        if args.fingerprint:
            print(f"{contacts:,} contacts: sha256 {fingerprint(contacts, args.seed)}")
        runs: list[dict[str, Any]] = []
        baseline_runs: list[dict[str, Any]] = []
        for _ in range(args.repeat):
            if args.baseline:
                baseline_runs.append(run_in_child(contacts, args.seed, args.baseline))
            runs.append(run_in_child(contacts, args.seed))
        seconds, cpu = summary("", contacts, runs)
        if baseline_runs:
            base_seconds, base_cpu = summary("baseline: ", contacts, baseline_runs)
            print(f"  {contacts:,} contacts, baseline / this: {base_seconds / seconds:.2f}x "
                  f"(CPU {base_cpu / cpu:.2f}x)")  # fmt: skip
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _record in generator.generate(args.contacts[0], args.seed, NOW):
            pass
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
