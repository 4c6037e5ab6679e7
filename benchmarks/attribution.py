"""Attribution benchmark (issue 13): all eight models over 1,000,000 touchpoints and
100,000 conversions, target <= 5 s on SQLite and on PostgreSQL.

The synthetic store: 150,000 contacts, 1,000,000 activities spread over 300 days (60 %
with one of 50 campaigns, half with a channel of their own, 5 % with neither), 100,000
won deals (97,500 contacts, 2,500 of them with a second deal in the middle of their
activities), lead and opportunity arrivals in the lifecycle history. With the default
365-day lookback every activity is a touchpoint: of a conversion (its contact's
activities up to the deal) or of a non-converting path. Rows are written with bulk
inserts (executemany on SQLite, COPY on PostgreSQL), not through the API, and the store
is reused by later runs when its counts match (--rebuild to write it again).

One timed run is `smarketing.attribution.service.attribute(session, "all")`: reading the
conversions, milestones and touches, then the eight models. Prints the median of the
runs and where the time goes (store reads vs models).

Usage:
  nice -n 10 .venv/bin/python benchmarks/attribution.py [--database sqlite|postgresql|both]
      [--repeat 3] [--rebuild] [--activities 1000000] [--conversions 100000]
PostgreSQL: SMARKETING_BENCH_POSTGRES_URL (default: the test server), database
smarketing_bench_attribution. SQLite: a file under the system temporary directory.
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from smarketing.attribution import repository
from smarketing.attribution.domain import attribute_all, parse_models
from smarketing.attribution.service import attribute
from smarketing.core.database import make_engine, make_session_factory, migrate, transaction
from smarketing.workspace.repository import workspace_settings

POSTGRES_URL = os.environ.get(
    "SMARKETING_BENCH_POSTGRES_URL",
    os.environ.get("SMARKETING_TEST_POSTGRES_URL",
                   "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)  # fmt: skip
POSTGRES_DATABASE = "smarketing_bench_attribution"
CHANNELS = ["organic_search", "paid_search", "social", "paid_social", "email", "referral",
            "direct", "event", "display", "other"]  # fmt: skip
CAMPAIGNS = 50
START_US = 1_756_684_800_000_000  # 2025-09-01T00:00:00Z
DAY_US = 86_400_000_000
SPAN_DAYS = 300


class Synthetic:
    """Columns of every table, generated once with a fixed seed."""

    def __init__(self, activities: int, conversions: int, seed: int = 13) -> None:
        rng = np.random.default_rng(seed)
        second = conversions // 40
        converting = conversions - second
        self.contacts = int(converting * 150_000 / 97_500)
        contact_ids = np.arange(1, self.contacts + 1, dtype=np.int64)
        self.created_us = START_US - rng.integers(1, 60, self.contacts) * DAY_US
        # activities
        owner = np.sort(rng.integers(1, self.contacts + 1, activities))
        at = START_US + rng.integers(0, SPAN_DAYS * DAY_US, activities)
        campaign = np.where(rng.random(activities) < 0.6,
                            rng.integers(1, CAMPAIGNS + 1, activities), 0)  # fmt: skip
        own_channel = rng.integers(0, len(CHANNELS), activities)
        has_channel = rng.random(activities) < 0.5
        neither = rng.random(activities) < 0.05
        campaign[neither] = 0
        has_channel[neither] = False
        has_channel[campaign == 0] |= ~neither[campaign == 0]
        self.activity = (owner, at, campaign, np.where(has_channel, own_channel, -1))
        # deals: the first `converting` contacts that have activities win after their last
        first_at = np.full(self.contacts + 1, np.iinfo(np.int64).max)
        last_at = np.zeros(self.contacts + 1, dtype=np.int64)
        np.minimum.at(first_at, owner, at)
        np.maximum.at(last_at, owner, at)
        active = contact_ids[last_at[1:] > 0]
        winners = rng.permutation(active)[:converting]
        closed = last_at[winners] + rng.integers(1, 10 * DAY_US, winners.size)
        twice = winners[:second]
        middle = (first_at[twice] + last_at[twice]) // 2
        self.deal_contact = np.concatenate([winners, twice])
        self.deal_closed = np.concatenate([closed, middle])
        self.deal_amount = rng.integers(50_000, 5_000_000, self.deal_contact.size)
        # lifecycle: subscriber at creation; lead for 80 %; opportunity for the winners
        lead_contacts = contact_ids[rng.random(self.contacts) < 0.8]
        lead_at = START_US + rng.integers(0, SPAN_DAYS * DAY_US, lead_contacts.size)
        opportunity_at = first_at[winners] + (closed - first_at[winners]) // 2
        self.history = (
            np.concatenate([contact_ids, lead_contacts, winners]),
            np.concatenate([self.created_us, lead_at, opportunity_at]),
            ["subscriber"] * self.contacts + ["lead"] * lead_contacts.size
            + ["opportunity"] * winners.size,
        )  # fmt: skip


def instants(values: np.ndarray, separator: str = " ") -> list[str]:
    text_values = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    return [value.replace("T", separator) for value in text_values.tolist()]


def write_sqlite(path: Path, data: Synthetic) -> None:
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("INSERT INTO workspace (id, name, timezone, currency, locale)"
               " VALUES (1, 'bench', 'UTC', 'EUR', 'en')")  # fmt: skip
    for table, rows in rows_of(data, " "):
        marks = ", ".join("?" * len(rows[0][1]))
        db.executemany(f"INSERT INTO {table} ({rows[0][0]}) VALUES ({marks})",  # noqa: S608
                       (row for _, row in rows))  # fmt: skip
    db.commit()
    db.execute("ANALYZE")
    db.close()


def rows_of(data: Synthetic, separator: str) -> list[tuple[str, list[tuple[str, tuple]]]]:
    """(table, [(columns, row), ...]) in insertion order."""
    created = instants(data.created_us, separator)
    tables: list[tuple[str, list[tuple[str, tuple]]]] = []
    columns = "id, key, name, channel"
    tables.append(("campaigns", [(columns, (i, f"campaign-{i}", f"Campaign {i}",
                                            CHANNELS[i % len(CHANNELS)]))
                                 for i in range(1, CAMPAIGNS + 1)]))  # fmt: skip
    columns = "id, email, lifecycle_stage, stage_entered_at, created_at, properties"
    tables.append(("contacts", [(columns, (i + 1, f"c{i + 1}@bench.example", "subscriber",
                                           created[i], created[i], "{}"))
                                for i in range(data.contacts)]))  # fmt: skip
    owner, at, campaign, channel = data.activity
    at_text = instants(at, separator)
    columns = "id, contact_id, kind, at, channel, campaign_id, properties"
    tables.append(("activities", [
        (columns, (f"act-{i:07d}", int(o), "page_view", a, CHANNELS[c] if c >= 0 else None,
                   int(k) if k else None, "{}"))
        for i, (o, a, k, c) in enumerate(zip(owner.tolist(), at_text, campaign.tolist(),
                                             channel.tolist(), strict=True))]))  # fmt: skip
    closed = instants(data.deal_closed, separator)
    columns = "id, contact_id, amount, currency, status, created_at, closed_at"
    tables.append(("deals", [
        (columns, (f"deal-{i:06d}", int(c), int(a), "EUR", "won", closed[i], closed[i]))
        for i, (c, a) in enumerate(zip(data.deal_contact.tolist(), data.deal_amount.tolist(),
                                       strict=True))]))  # fmt: skip
    contacts, moments, stages = data.history
    columns = "id, contact_id, to_stage, transition, at, actor, source"
    tables.append(("lifecycle_history", [
        (columns, (i + 1, int(c), s, "create" if s == "subscriber" else "advance", m,
                   "system", "contact" if s == "subscriber" else "stage_change"))
        for i, (c, m, s) in enumerate(zip(contacts.tolist(), instants(moments, separator),
                                          stages, strict=True))]))  # fmt: skip
    return tables


def write_postgres(url: str, data: Synthetic) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    migrate(engine)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("INSERT INTO workspace (id, name, timezone, currency, locale)"
                       " VALUES (1, 'bench', 'UTC', 'EUR', 'en')")  # fmt: skip
        for table, rows in rows_of(data, "T"):
            buffer = io.StringIO()
            for _, row in rows:
                buffer.write("\t".join("\\N" if v is None else
                                       (f"{v}+00" if isinstance(v, str) and v[:2] == "20"
                                        and v[10:11] == "T" else str(v)) for v in row))
                buffer.write("\n")
            with cursor.copy(f"COPY {table} ({rows[0][0]}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
        cursor.execute("SELECT setval('contacts_id_seq', (SELECT MAX(id) FROM contacts))")
        cursor.execute("SELECT setval('lifecycle_history_id_seq',"
                       " (SELECT MAX(id) FROM lifecycle_history))")  # fmt: skip
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    engine.dispose()


def counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return (connection.execute(text("SELECT COUNT(*) FROM activities")).scalar_one(),
                    connection.execute(text("SELECT COUNT(*) FROM deals")).scalar_one())
    except Exception:  # noqa: BLE001 - no store yet
        return (-1, -1)
    finally:
        engine.dispose()


def postgres_database_url() -> str:
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                   {"n": POSTGRES_DATABASE}).first()  # fmt: skip
        if found is None:
            connection.exec_driver_sql(f'CREATE DATABASE "{POSTGRES_DATABASE}"')
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=POSTGRES_DATABASE).render_as_string(
        hide_password=False)


def backend_pid(session: Session) -> int | None:
    """The PostgreSQL server process serving this session (None on SQLite: in-process)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    pid: int = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return pid


def process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of another process on this host (0 for None)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url: str, repeat: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    sessions = make_session_factory(engine)
    runs = []
    cpu = []
    for _ in range(repeat):
        with transaction(sessions, read_only=True) as session:
            backend = backend_pid(session)
            started, started_cpu = time.perf_counter(), time.process_time()
            server_cpu = process_cpu(backend)
            report = attribute(session, "all")
            runs.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu + process_cpu(backend) - server_cpu)
    # Where the time goes, in one more run.
    with transaction(sessions, read_only=True) as session:
        facts = workspace_settings(session)
        started = time.perf_counter()
        loaded = repository.load(session, repository.Query(
            by=report.by, stage=report.stage, start=None, end=None,
            period_end=repository.latest_activity(session), lookback_days=365,
            currency=facts.currency))  # fmt: skip
        read = time.perf_counter() - started
        started = time.perf_counter()
        attribute_all(parse_models("all"), loaded.data)
        models = time.perf_counter() - started
    engine.dispose()
    data = loaded.data
    print(f"  conversions {report.results[0].conversions:,}, touchpoints on converting paths "
          f"{data.converting.paths.key.size:,}, on non-converting paths "
          f"{data.nonconverting.key.size:,} ({data.nonconverting.count:,} paths), "
          f"keys {len(data.keys)}")
    print(f"  all eight models: median {statistics.median(runs):.2f} s "
          f"(runs {', '.join(f'{r:.2f}' for r in runs)}); target 5 s")
    print(f"  CPU time (this process and the PostgreSQL backend serving it): median "
          f"{statistics.median(cpu):.2f} s (runs {', '.join(f'{c:.2f}' for c in cpu)})")
    print(f"  of which store reads {read:.2f} s, the eight models {models:.2f} s")
    print(f"  load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--conversions", type=int, default=100_000)
    args = parser.parse_args()
    data: Synthetic | None = None

    def synthetic() -> Synthetic:
        nonlocal data
        if data is None:
            started = time.perf_counter()
            data = Synthetic(args.activities, args.conversions)
            print(f"  generated in {time.perf_counter() - started:.1f} s")
        return data

    expected = (args.activities, args.conversions)
    if args.database in ("sqlite", "both"):
        folder = Path(tempfile.gettempdir()) / "smarketing-bench"
        folder.mkdir(exist_ok=True)
        path = folder / f"attribution-{args.activities}-{args.conversions}.db"
        url = f"sqlite:///{path}"
        print(f"SQLite ({path})")
        if args.rebuild or counts(url) != expected:
            started = time.perf_counter()
            write_sqlite(path, synthetic())
            print(f"  store written in {time.perf_counter() - started:.1f} s")
        measure(url, args.repeat)
    if args.database in ("postgresql", "both"):
        url = postgres_database_url()
        print(f"PostgreSQL ({make_url(url).render_as_string(hide_password=True)})")
        if args.rebuild or counts(url) != expected:
            started = time.perf_counter()
            write_postgres(url, synthetic())
            print(f"  store written in {time.perf_counter() - started:.1f} s")
        measure(url, args.repeat)


if __name__ == "__main__":
    main()
