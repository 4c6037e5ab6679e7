"""Kill the server at random moments while a client streams batches; resend what was not
acknowledged; every acknowledged event must be stored exactly once. On SQLite and
PostgreSQL, against the real `smarketing serve` process (SIGKILL, no graceful shutdown).
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.client import HTTPConnection, HTTPException
from pathlib import Path

import orjson
from sqlalchemy import func, select

from smarketing.core.database import transaction
from smarketing.models import Activity
from tests.support.api_keys import make_api_key
from tests.support.web import seeded_workspace

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SMARKETING = Path(sys.executable).parent / "smarketing"
BATCHES = 40
BATCH_SIZE = 50
KILLS = 4
START_ATTEMPTS = 3
RECORDS = [
    {"type": "campaign", "key": "webinar", "name": "Webinar", "channel": "email"},
    {"type": "contact", "email": "ana@studio.example", "created_at": "2026-10-01T09:00:00Z"},
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`smarketing serve` in a child process that can be killed and started again."""

    def __init__(self, url: str) -> None:
        self.env = {**os.environ, "SMARKETING_DATABASE_URL": url,
                    "SMARKETING_SECRET_KEY": "kill-test"}  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> None:
        """Start on a free port. The port is free when chosen but another process (tests
        running side by side) may take it before the server binds it: then the server
        exits at once, and it is started again on another port."""
        for _ in range(START_ATTEMPTS):
            self.port = _free_port()
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                [str(SMARKETING), "serve", "--no-jobs", "--port", str(self.port)],
                env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            if self._listening():
                return
        raise AssertionError(f"the server did not start in {START_ATTEMPTS} attempts")

    def _listening(self) -> bool:
        """Whether our server accepts connections within 60 s (False if it exited)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.alive:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self.alive  # our server, not another process that took the port
            except OSError:
                time.sleep(0.05)
        self.kill()
        return False

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@contextmanager
def running(url: str) -> Iterator[Server]:
    server = Server(url)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _batch(number: int) -> bytes:
    items = [{"id": f"b{number}-{i}", "email": f"p{(number * BATCH_SIZE + i) % 300}@x.example",
              "kind": "page_view", "at": "2026-11-01T10:00:00Z",
              **({"campaign": "webinar"} if i % 7 == 0 else {})}
             for i in range(BATCH_SIZE)]  # fmt: skip
    return orjson.dumps({"items": items})


def _send(server: Server, key: str, body: bytes) -> dict[str, object] | None:
    """The parsed answer, or None when the request was not acknowledged."""
    try:
        connection = HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("POST", "/api/v1/activities/batch", body=body, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read()
        connection.close()
    except (OSError, HTTPException):
        return None
    if response.status != 200:
        return None
    answer: dict[str, object] = orjson.loads(data)
    return answer


def test_no_acknowledged_event_is_lost_or_doubled(workspace_url: str) -> None:
    rng = random.Random(20261130)  # noqa: S311 - test randomness, seeded
    acknowledged: set[str] = set()
    statuses: dict[str, set[str]] = {}
    with seeded_workspace(workspace_url, RECORDS, [], NOW) as workspace:
        key = make_api_key(workspace, "write")
        with running(workspace_url) as server:
            pending = list(range(BATCHES))
            kills = 0
            while pending:
                if kills < KILLS and rng.random() < 0.15:
                    # Kill after a random delay, most likely while a request is in flight.
                    timer = threading.Timer(rng.uniform(0.0, 0.05), server.kill)
                    timer.start()
                    kills += 1
                else:
                    timer = None
                number = pending[0]
                answer = _send(server, key, _batch(number))
                if timer is not None:
                    timer.join()
                if answer is None:
                    assert not server.alive or timer is None, "a live server refused a batch"
                else:
                    pending.pop(0)
                    if rng.random() < 0.2:  # resend an acknowledged batch as well
                        pending.append(number)
                    for item in answer["items"]:  # type: ignore[attr-defined]
                        assert item["status"] in ("created", "duplicate"), item
                        acknowledged.add(item["id"])
                        statuses.setdefault(item["id"], set()).add(item["status"])
                if not server.alive:
                    server.start()
        with transaction(workspace.sessions, read_only=True) as session:
            stored = session.execute(
                select(Activity.id, func.count()).group_by(Activity.id)).all()  # fmt: skip
    stored_ids = {activity_id for activity_id, _ in stored}
    assert kills == KILLS
    assert acknowledged == {f"b{n}-{i}" for n in range(BATCHES) for i in range(BATCH_SIZE)}
    assert acknowledged <= stored_ids, "an acknowledged event is missing"
    assert stored_ids == acknowledged, "an event was stored that was never acknowledged"
    assert all(count == 1 for _, count in stored)
    assert any("duplicate" in s for s in statuses.values()), "no resend was exercised"
