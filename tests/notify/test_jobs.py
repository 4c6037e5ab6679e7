"""The job runner (core.jobs) and the notification jobs it runs."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from huey import RedisHuey, SqliteHuey
from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR
from typer.testing import CliRunner

from smarketing.core import jobs
from smarketing.core.database import transaction
from smarketing.core.settings import get_settings
from smarketing.core.timeutil import utcnow
from smarketing.notify import jobs as notify_jobs
from smarketing.notify import service
from tests.notify import FAILING_URL, add_people, add_target, deliveries, sessions_for


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A clean job-runner environment: no Redis, not immediate, settings and Huey re-read."""
    monkeypatch.delenv(jobs.REDIS_URL_ENV, raising=False)
    monkeypatch.delenv(jobs.IMMEDIATE_ENV, raising=False)
    get_settings.cache_clear()
    jobs.reset_huey()
    yield monkeypatch
    jobs.reset_huey()
    get_settings.cache_clear()


@pytest.fixture
def workspace(sqlite_url: str, environment: pytest.MonkeyPatch) -> str:
    """A SQLite workspace (SMARKETING_DATABASE_URL) with one alert due to a failing target."""
    environment.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    with sessions_for(sqlite_url) as factory, transaction(factory) as session:
        people = add_people(session)
        add_target(session, FAILING_URL, user_id=people.rep_id)
        service.notify(session, user_ids=[people.rep_id], kind="test", subject="Hello",
                       body="A test alert.", dedupe_key="job-test",
                       now=utcnow() - timedelta(minutes=1))  # fmt: skip
    return sqlite_url


def attempts(url: str) -> list[tuple[str, int]]:
    with sessions_for(url) as factory, transaction(factory) as session:
        return [(d.status, d.attempts) for d in deliveries(session)]


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("sqlite:////srv/smarketing/smarketing.db", Path("/srv/smarketing/smarketing-jobs.db")),
        ("sqlite:///data/ws.db", Path("data/ws-jobs.db")),
        ("sqlite://", Path.cwd() / "smarketing-jobs.db"),
        ("sqlite:///:memory:", Path.cwd() / "smarketing-jobs.db"),
        ("postgresql+psycopg://u:p@db/smarketing", Path.cwd() / "smarketing-jobs.db"),
    ],
)
def test_jobs_storage_path(database_url: str, expected: Path) -> None:
    assert jobs.jobs_storage_path(database_url) == expected


def test_default_backend_is_a_sqlite_file_beside_the_workspace(
    sqlite_url: str, environment: pytest.MonkeyPatch
) -> None:
    environment.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    huey = jobs.get_huey()
    assert isinstance(huey, SqliteHuey)
    assert not huey.immediate
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    assert Path(huey.storage.filename) == database.with_name("workspace-jobs.db")
    assert jobs.get_huey() is huey


def test_redis_url_selects_the_redis_backend(environment: pytest.MonkeyPatch) -> None:
    environment.setenv(jobs.REDIS_URL_ENV, "redis://127.0.0.1:6399/3")
    if importlib.util.find_spec("redis") is None:
        with pytest.raises(RuntimeError, match="redis package is not installed"):
            jobs.get_huey()
        return
    huey = jobs.get_huey()  # connects lazily: no Redis server needed to create it
    assert isinstance(huey, RedisHuey)
    assert huey.storage.conn.connection_pool.connection_kwargs["db"] == 3


def test_immediate_env_runs_jobs_inline(environment: pytest.MonkeyPatch) -> None:
    environment.setenv(jobs.IMMEDIATE_ENV, "1")
    assert jobs.get_huey().immediate


def test_the_delivery_job_is_declared_to_run_every_minute(
    sqlite_url: str, environment: pytest.MonkeyPatch
) -> None:
    environment.setenv("SMARKETING_DATABASE_URL", sqlite_url)
    assert "smarketing.notify.jobs" in jobs.load_task_modules()
    specs = {spec.func: spec for spec in jobs.registered_jobs()}
    periodic = specs[notify_jobs.deliver_due_job]
    assert periodic.schedule is not None
    assert specs[notify_jobs.deliver_now_job].schedule is None
    huey = jobs.get_huey()
    for minute in (0, 1, 17, 59):
        at = datetime(2026, 3, 2, 9, minute, tzinfo=UTC)
        assert periodic.schedule(at)
        assert "deliver_due_job" in {task.name for task in huey.read_periodic(at)}


def test_enqueue_needs_a_declared_job(environment: pytest.MonkeyPatch) -> None:
    environment.setenv(jobs.IMMEDIATE_ENV, "1")
    with pytest.raises(LookupError, match="not a declared job"):
        jobs.enqueue(print)


def test_immediate_mode_runs_the_periodic_delivery_job(workspace: str) -> None:
    with jobs.run_immediately() as huey:
        assert huey.immediate
        jobs.enqueue(notify_jobs.deliver_due_job)
    assert not jobs.get_huey().immediate
    assert attempts(workspace) == [("pending", 1)]


def test_request_delivery_after_commit_runs_a_pass(
    workspace: str, environment: pytest.MonkeyPatch
) -> None:
    environment.setenv(jobs.IMMEDIATE_ENV, "true")
    notify_jobs.request_delivery()
    assert attempts(workspace) == [("pending", 1)]


def test_request_delivery_never_raises(environment: pytest.MonkeyPatch) -> None:
    environment.setenv(jobs.REDIS_URL_ENV, "redis://127.0.0.1:9/0")  # nothing listens there
    notify_jobs.request_delivery()


def test_embedded_consumer_runs_jobs_in_threads_and_stops(workspace: str) -> None:
    before = signal.getsignal(signal.SIGINT)
    handle = jobs.start_embedded_consumer(workers=1, periodic=False)
    try:
        assert handle.running
        assert signal.getsignal(signal.SIGINT) is before  # the host process keeps its signals
        huey = jobs.get_huey()
        done = threading.Event()
        outcome: list[str] = []

        @huey.signal(SIGNAL_COMPLETE, SIGNAL_ERROR)
        def finished(name: str, task: object, *args: object) -> None:
            outcome.append(name)
            done.set()

        jobs.enqueue(notify_jobs.deliver_now_job)
        assert done.wait(timeout=60), "the embedded consumer did not run the job"
    finally:
        handle.stop()
    assert outcome == [SIGNAL_COMPLETE]
    assert not handle.running
    assert handle.consumer is not None
    assert not any(thread.is_alive() for _, thread in handle.consumer.worker_threads)
    assert attempts(workspace) == [("pending", 1)]
    handle.stop()  # stopping twice is harmless


def test_embedded_consumer_in_immediate_mode_does_nothing(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv(jobs.IMMEDIATE_ENV, "1")
    handle = jobs.start_embedded_consumer()
    assert not handle.running
    handle.stop()


def _worker_app() -> typer.Typer:
    app = typer.Typer()
    app.command("worker")(jobs.worker_command)
    app.command("other")(lambda: None)
    return app


def test_worker_help_and_immediate_refusal(environment: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    result = runner.invoke(_worker_app(), ["worker", "--help"])
    assert result.exit_code == 0
    assert "Run the background job consumer" in result.output
    assert "--workers" in result.output
    environment.setenv(jobs.IMMEDIATE_ENV, "1")
    result = runner.invoke(_worker_app(), ["worker"])
    assert result.exit_code == 2
    assert "SMARKETING_JOBS_IMMEDIATE is set" in result.output


def test_worker_runs_in_the_foreground_until_interrupted(workspace: str, tmp_path: Path) -> None:
    """`smarketing worker` as a real process: it runs the due delivery, Ctrl-C stops it."""
    env = {k: v for k, v in os.environ.items()
           if k not in (jobs.REDIS_URL_ENV, jobs.IMMEDIATE_ENV)}  # fmt: skip
    env["SMARKETING_DATABASE_URL"] = workspace
    env["PYTHONUNBUFFERED"] = "1"
    code = ("import typer; from smarketing.core.jobs import worker_command; "
            "typer.run(worker_command)")  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-c", code, "--workers", "1"], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        lines = []
        for line in process.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if "notification deliveries:" in line:  # the periodic pass ran at start-up
                break
        assert any("job worker: sqlite queue, 1 worker(s)" in line for line in lines), lines
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert attempts(workspace) == [("pending", 1)]
