"""Benchmark: activity ingestion through the HTTP API, against a raw sqlite3 baseline.

    .venv/bin/python benchmarks/ingest_http.py --events 1000000 --repeat 3
    .venv/bin/python benchmarks/ingest_http.py --events 1000000 --database postgresql

Each run makes a fresh workspace (a SQLite file in a temporary directory, or a fresh
PostgreSQL database), loads CONTACTS contacts and two campaigns, creates an API key and
starts `smarketing serve --no-jobs` (uvicorn, one process) on a free port. Then:

1. batch: EVENTS activities, each with its own id (idempotency on: the server checks
   every id), sent as POST /api/v1/activities/batch with 1,000 items per request over
   CLIENTS keep-alive connections. The request bodies are serialized before the clock
   starts, so the figure is the server's rate. Reported as events per second, with the
   check that the table holds exactly EVENTS new rows.
2. baseline (SQLite only): the same rows inserted with the standard library's sqlite3
   `executemany` into a table of the same shape (primary key and indexes) in a fresh
   file with the server's settings (WAL, synchronous=NORMAL, its checkpoint size), one
   transaction per 1,000 rows, in the same run: the ratio of the two rates is the figure
   that matters on a shared machine.
   With --new-contacts every event names an email nobody has yet, so each creates its
   contact (a form submission: a lead): the rate is new contacts per second.
3. single: POST /api/v1/activities one event per request at a fixed arrival rate (RATE
   per second, open loop: latency counts from the scheduled send time, so a slow server
   cannot hide its queueing) for SECONDS; reports p50/p99/max latency.

Prints one JSON object per run and the medians at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from smarketing.apikeys.service import create_key
from smarketing.core.database import (
    WAL_TUNING,
    make_engine,
    make_session_factory,
    migrate,
    transaction,
)
from smarketing.models import Contact

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BATCH = 1000
START = datetime(2026, 1, 1, tzinfo=UTC)
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
SINGLE_CONNECTIONS = 64
KINDS = ("page_view", "email_open", "email_click", "content_download", "form_submit")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"smarketing_bench_{os.getpid()}"
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, contacts: int) -> str:
    """Migrate, load contacts and campaigns; returns a write API key."""
    engine = make_engine(url)
    migrate(engine)
    sessions = make_session_factory(engine)
    from smarketing.interchange.service import import_records

    with transaction(sessions) as session:
        import_records(session, [
            {"type": "campaign", "key": "webinar", "name": "Webinar", "channel": "email"},
            {"type": "campaign", "key": "fair", "name": "Fair", "channel": "event"},
        ], now=START)  # fmt: skip
        session.execute(sa.insert(Contact), [
            {"email": contact_email(n), "lifecycle_stage": "lead", "stage_entered_at": START,
             "created_at": START, "properties": {}} for n in range(contacts)
        ])  # fmt: skip
        key = create_key(session, "benchmark", "write", "benchmark", START).plaintext
    engine.dispose()
    return key


def contact_email(n: int) -> str:
    return f"person{n}@company{n % 997}.example"


def event(n: int, contacts: int, run: str, new_contacts: bool = False) -> dict[str, Any]:
    email = f"new-{run}-{n}@company{n % 997}.example" if new_contacts else contact_email(
        n % contacts)
    item: dict[str, Any] = {
        "id": f"{run}-{n}", "email": email,
        "kind": "form_submit" if new_contacts else KINDS[n % len(KINDS)],
        "at": (START + timedelta(seconds=n)).isoformat(),
        "url": f"https://acme.example/p/{n % 50}",
    }  # fmt: skip
    if n % 10 == 0:
        item["campaign"] = "webinar"
    return item


@contextmanager
def server(url: str, workers: int = 1) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "SMARKETING_DATABASE_URL": url, "SMARKETING_SECRET_KEY": "bench"}
    process = subprocess.Popen(  # noqa: S603 - our own command
        [str(BIN / "smarketing"), "serve", "--no-jobs", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def send_batches(base: str, key: str, bodies: list[bytes], clients: int) -> float:
    """POST every body over `clients` connections; seconds taken. Fails on any non-200."""
    host, port = base.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    errors: list[str] = []

    def worker(share: list[bytes]) -> None:
        connection = HTTPConnection(host, int(port), timeout=120)
        for body in share:
            connection.request("POST", "/api/v1/activities/batch", body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            if response.status != 200 or orjson.loads(data)["rejected"]:
                errors.append(f"{response.status}: {data[:300]!r}")
                return
        connection.close()

    threads = [threading.Thread(target=worker, args=(bodies[i::clients],)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"batch ingestion failed: {errors[0]}")
    return elapsed


def baseline_sqlite(rows: list[tuple[Any, ...]]) -> float:
    """The same rows into a same-shaped table with sqlite3 executemany; seconds taken."""
    with tempfile.TemporaryDirectory() as tmp:
        connection = sqlite3.connect(Path(tmp) / "raw.db")
        connection.execute("PRAGMA journal_mode=WAL")  # the durability the server runs with
        connection.execute("PRAGMA synchronous=NORMAL")
        for pragma in WAL_TUNING:  # and its checkpoints
            connection.execute(f"PRAGMA {pragma}")
        connection.execute(
            "CREATE TABLE activities (id VARCHAR(200) PRIMARY KEY, contact_id INTEGER NOT NULL,"
            " kind VARCHAR(32) NOT NULL, at DATETIME NOT NULL, channel VARCHAR(32),"
            " campaign_id INTEGER, url TEXT, content TEXT, properties JSON NOT NULL)")
        connection.execute("CREATE INDEX ix_activities_contact_at ON activities (contact_id, at)")
        connection.execute("CREATE INDEX ix_activities_campaign ON activities (campaign_id)")
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            with connection:
                connection.executemany(
                    "INSERT INTO activities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows[start:start + BATCH])  # fmt: skip
        elapsed = time.perf_counter() - started
        connection.close()
    return elapsed


def raw_rows(events: list[dict[str, Any]], contacts: int) -> list[tuple[Any, ...]]:
    return [(e["id"], n % contacts + 1, e["kind"], e["at"].replace("+00:00", ""), None,
             1 if "campaign" in e else None, e["url"], None, "{}")
            for n, e in enumerate(events)]  # fmt: skip


async def single_events(base: str, key: str, rate: int, seconds: int, contacts: int) -> (
    list[float]
):
    """Open-loop load: one POST every 1/rate s; latencies (s) from the scheduled instant.

    A minimal HTTP/1.1 client on asyncio streams (keep-alive connections, one request in
    flight per connection): a general-purpose client library costs more CPU per request
    than the server does, and on two shared cores it would measure itself.
    """
    host, port = base.removeprefix("http://").split(":")
    total = rate * seconds
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    def request(n: int) -> bytes:
        body = orjson.dumps(event(n, contacts, "single"))
        return (f"POST /api/v1/activities HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while (job := await queue.get()) is not None:
            n, scheduled = job
            writer.write(request(n))
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 201"):
                raise SystemExit(f"single event failed: {head[:40]!r}")
            latencies.append(loop.time() - scheduled)
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(SINGLE_CONNECTIONS)]
    started = loop.time() + 0.1
    for n in range(total):
        scheduled = started + n / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        queue.put_nowait((n, scheduled))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def count_contacts(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = connection.execute(sa.select(sa.func.count()).select_from(Contact)).scalar_one()
    engine.dispose()
    return int(found)


def count_activities(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        total = connection.execute(sa.text("SELECT count(*) FROM activities")).scalar_one()
    engine.dispose()
    return int(total)


def run_once(args: argparse.Namespace, run: int) -> dict[str, Any]:
    events = [event(n, args.contacts, f"r{run}", args.new_contacts) for n in range(args.events)]
    bodies = [orjson.dumps({"items": events[i:i + BATCH]}) for i in range(0, len(events), BATCH)]
    result: dict[str, Any] = {"database": args.database, "events": args.events,
                              "clients": args.clients, "workers": args.workers}  # fmt: skip
    with fresh_database(args.database) as url:
        key = seed(url, args.contacts)
        with server(url, args.workers) as base:
            elapsed = send_batches(base, key, bodies, args.clients)
            result["batch_events_per_s"] = round(args.events / elapsed)
            if args.rate:
                latencies = asyncio.run(
                    single_events(base, key, args.rate, args.seconds, args.contacts))
                result.update(
                    single_rate=args.rate, single_requests=len(latencies),
                    single_p50_ms=round(percentile(latencies, 50) * 1000, 1),
                    single_p99_ms=round(percentile(latencies, 99) * 1000, 1),
                    single_max_ms=round(max(latencies) * 1000, 1),
                )  # fmt: skip
        stored = count_activities(url)
        expected = args.events + (args.rate * args.seconds if args.rate else 0)
        if stored != expected:
            raise SystemExit(f"expected {expected} activities stored, found {stored}")
        if args.new_contacts:
            created = count_contacts(url) - args.contacts
            if created != args.events:
                raise SystemExit(f"expected {args.events} new contacts, found {created}")
            result["new_contacts_per_s"] = result["batch_events_per_s"]
    if args.database == "sqlite":
        raw = baseline_sqlite(raw_rows(events, args.contacts))
        result["raw_sqlite_rows_per_s"] = round(args.events / raw)
        result["ratio_to_raw"] = round(result["batch_events_per_s"] / result[
            "raw_sqlite_rows_per_s"], 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="smarketing serve --workers")
    parser.add_argument("--rate", type=int, default=500, help="single events per s (0: skip)")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--new-contacts", action="store_true",
                        help="every event creates its contact (new contacts per second)")
    args = parser.parse_args()
    results = []
    for run in range(args.repeat):
        results.append(run_once(args, run))
        print(json.dumps(results[-1]), flush=True)  # noqa: T201
    keys = [k for k, v in results[0].items() if isinstance(v, float | int) and k not in (
        "events", "clients", "workers", "single_rate", "single_requests")]
    medians = {k: statistics.median(r[k] for r in results) for k in keys}
    print(json.dumps({"median_of": len(results), **medians}))  # noqa: T201


if __name__ == "__main__":
    main()
