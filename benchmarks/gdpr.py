"""GDPR export and erasure, and the start-up integrity check, on a large workspace.

    .venv/bin/python benchmarks/gdpr.py WORKSPACE.db [--runs 3]

WORKSPACE.db is a SQLite workspace (e.g. made with `smarketing demo --contacts 100000`);
each run works on a fresh copy of it, so the erasure never touches the original. Per run:
`smarketing check`'s quick_check, the export of the demo contact with the most activities
and deals (`export_person`, committed), then its erasure (`erase_person`, committed,
then `after_erasure`: the WAL checkpoint). Prints each run and the medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from smarketing.core.database import make_engine, make_session_factory, migrate, transaction
from smarketing.core.integrity import check_database
from smarketing.core.timeutil import utcnow
from smarketing.privacy.service import after_erasure, erase_person, export_person

BUSIEST = ("SELECT c.email FROM contacts c JOIN activities a ON a.contact_id = c.id "
           "GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1")  # fmt: skip


def one_run(source: Path) -> tuple[float, float, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "workspace.db"
        shutil.copy(source, copy)
        url = f"sqlite:///{copy}"
        started = time.perf_counter()
        report = check_database(url)
        checked = time.perf_counter() - started
        assert report.ok, report.problems
        engine = make_engine(url)
        migrate(engine)  # a workspace made by an older version gets the newest schema
        sessions = make_session_factory(engine)
        with engine.connect() as connection:
            email = connection.exec_driver_sql(BUSIEST).scalar_one()
        started = time.perf_counter()
        with transaction(sessions) as session:
            document = export_person(session, email, now=utcnow(), actor="benchmark")
        exported = time.perf_counter() - started
        started = time.perf_counter()
        with transaction(sessions) as session:
            erase_person(session, email, now=utcnow(), actor="benchmark")
        after_erasure(engine)
        erased = time.perf_counter() - started
        engine.dispose()
        return checked, exported, erased, sum(document["counts"].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.workspace.stat().st_size
    print(f"{args.workspace}: {size / 2**20:.0f} MiB")
    runs = []
    for number in range(1, args.runs + 1):
        checked, exported, erased, rows = one_run(args.workspace)
        runs.append((checked, exported, erased))
        print(f"run {number}: quick_check {checked:.2f} s, export {exported:.2f} s "
              f"({rows} rows), erase {erased:.2f} s")
    medians = [statistics.median(values) for values in zip(*runs, strict=True)]
    print("median: quick_check {:.2f} s, export {:.2f} s, erase {:.2f} s".format(*medians))


if __name__ == "__main__":
    main()
