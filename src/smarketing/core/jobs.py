"""The background job runner: one Huey instance per process, created on first use.

Backends:
- default: `SqliteHuey`, a file beside the SQLite workspace database (`smarketing.db` ->
  `smarketing-jobs.db`), or `smarketing-jobs.db` in the working directory when the
  workspace is on PostgreSQL. Fits one host: `smarketing serve` runs the consumer inside
  the web process (:func:`start_embedded_consumer`).
- `SMARKETING_REDIS_URL=redis://host:6379/0`: `RedisHuey`, shared by every process of a
  scaled-out install; run `smarketing worker` processes (:func:`worker_command`). Needs
  the `redis` package.
- `SMARKETING_JOBS_IMMEDIATE=1`: tasks run inline when enqueued (Huey's immediate mode,
  in-memory storage); for tests and one-off scripts.

Domains declare their jobs with the :func:`task` and :func:`periodic` decorators in their
`jobs.py`. The decorators only record the function; it is bound to the Huey instance
when that exists, so importing a jobs module reads no settings. :func:`load_task_modules`
imports every jobs module, and the consumers call it before they start, so the consumer
knows every task a producer may enqueue.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey, Result
from huey.consumer import Consumer
from sqlalchemy.engine import make_url

from smarketing.core.settings import get_settings
from smarketing.core.workspace import open_workspace

__all__ = [
    "IMMEDIATE_ENV",
    "REDIS_URL_ENV",
    "TASK_MODULES",
    "EmbeddedConsumer",
    "crontab",
    "enqueue",
    "every_minute",
    "get_huey",
    "jobs_storage_path",
    "load_task_modules",
    "periodic",
    "registered_jobs",
    "reset_huey",
    "run_immediately",
    "start_embedded_consumer",
    "task",
    "worker_command",
]

REDIS_URL_ENV = "SMARKETING_REDIS_URL"
IMMEDIATE_ENV = "SMARKETING_JOBS_IMMEDIATE"
HUEY_NAME = "smarketing"
# Modules that define jobs; a module that does not exist (yet) is skipped.
TASK_MODULES = ("smarketing.notify.jobs", "smarketing.sla.jobs", "smarketing.auth.jobs")

F = TypeVar("F", bound=Callable[..., Any])
Schedule = Callable[[datetime], bool]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """A job a domain declared: a plain task, or a periodic one when it has a schedule."""

    key: str
    name: str
    func: Callable[..., Any]
    schedule: Schedule | None = None


_specs: dict[str, JobSpec] = {}
_wrappers: dict[str, Any] = {}
_huey: Huey | None = None
_lock = threading.RLock()


def _key(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def _declare(func: F, schedule: Schedule | None, name: str | None) -> F:
    spec = JobSpec(_key(func), name or func.__name__, func, schedule)
    with _lock:
        _specs[spec.key] = spec
        if _huey is not None:
            _bind(_huey, spec)
    return func


def task(name: str | None = None) -> Callable[[F], F]:
    """Declare a job that runs when enqueued with :func:`enqueue`. The function is unchanged."""
    return lambda func: _declare(func, None, name)


def periodic(schedule: Schedule, name: str | None = None) -> Callable[[F], F]:
    """Declare a job the consumer's scheduler runs on `schedule`, e.g. ``crontab(minute="*")``.

    It can also be enqueued at any time with :func:`enqueue`.
    """
    return lambda func: _declare(func, schedule, name)


def every_minute() -> Schedule:
    return crontab(minute="*")  # type: ignore[no-any-return]


def registered_jobs() -> list[JobSpec]:
    with _lock:
        return list(_specs.values())


def _bind(huey: Huey, spec: JobSpec) -> None:
    if spec.key in _wrappers:
        return
    if spec.schedule is None:
        wrapper = huey.task(name=spec.name)(spec.func)
    else:
        wrapper = huey.periodic_task(spec.schedule, name=spec.name)(spec.func)
    _wrappers[spec.key] = wrapper


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def jobs_storage_path(database_url: str) -> Path:
    """Where the SQLite job queue lives: beside a SQLite workspace file, else in the cwd."""
    url = make_url(database_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not (
        database.startswith("file:")
    ):
        path = Path(database)
        return path.with_name(f"{path.stem}-jobs.db")
    return Path.cwd() / f"{HUEY_NAME}-jobs.db"


def _create_huey() -> Huey:
    immediate = _flag(IMMEDIATE_ENV)
    redis_url = os.environ.get(REDIS_URL_ENV, "").strip()
    if redis_url:
        if importlib.util.find_spec("redis") is None:
            raise RuntimeError(f"{REDIS_URL_ENV} is set but the redis package is not installed; "
                               "install it (pip install 'redis>=5') or unset the variable")
        return RedisHuey(HUEY_NAME, url=redis_url, immediate=immediate)
    path = jobs_storage_path(get_settings().database_url)
    return SqliteHuey(HUEY_NAME, filename=str(path), immediate=immediate)


def get_huey() -> Huey:
    """The process's Huey instance, created from the environment on first use."""
    global _huey
    with _lock:
        if _huey is None:
            _huey = _create_huey()
            for spec in _specs.values():
                _bind(_huey, spec)
        return _huey


def reset_huey() -> None:
    """Forget the Huey instance so the next use reads the environment again (tests)."""
    global _huey
    with _lock:
        if _huey is not None:
            close = getattr(_huey.storage, "close", None)
            if close is not None:
                close()
        _huey = None
        _wrappers.clear()


@contextmanager
def run_immediately() -> Iterator[Huey]:
    """Within the block, enqueued jobs run inline (Huey's immediate mode, in-memory queue)."""
    huey = get_huey()
    before = huey.immediate
    huey.immediate = True
    try:
        yield huey
    finally:
        huey.immediate = before


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Result | None:
    """Queue a declared job; in immediate mode it runs now. Returns Huey's result handle."""
    huey = get_huey()
    key = _key(func)
    with _lock:
        if key not in _specs:
            raise LookupError(f"{key} is not a declared job; decorate it with @task or @periodic")
        _bind(huey, _specs[key])
        wrapper = _wrappers[key]
    return wrapper(*args, **kwargs)


def load_task_modules() -> list[str]:
    """Import every module that declares jobs; the names of those that exist."""
    loaded = []
    for module in TASK_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        loaded.append(module)
    return loaded


class _QuietConsumer(Consumer):  # type: ignore[misc]
    """A consumer that leaves signal handling to the host process (e.g. uvicorn)."""

    def _set_signal_handlers(self) -> None:
        return None


@dataclass
class EmbeddedConsumer:
    """A consumer running in threads of this process; `stop()` ends it."""

    consumer: Consumer | None
    stopped: bool = field(default=False)

    @property
    def running(self) -> bool:
        return self.consumer is not None and not self.stopped

    def stop(self, graceful: bool = True) -> None:
        """Stop taking jobs; with `graceful`, wait for the running ones to finish.

        Without it, the threads (daemons) are left to end with the process.
        """
        if self.consumer is not None and not self.stopped:
            self.consumer.stop(graceful=graceful)
            log.info("embedded job consumer stopped")
        self.stopped = True


def start_embedded_consumer(workers: int = 1, *, periodic: bool = True) -> EmbeddedConsumer:
    """Start a job consumer (scheduler + worker threads) in this process without blocking.

    Used by `smarketing serve`: call it at start-up and `stop()` the handle at shutdown.
    In immediate mode there is nothing to consume and the handle does nothing.
    """
    load_task_modules()
    huey = get_huey()
    if huey.immediate:
        return EmbeddedConsumer(None, stopped=True)
    consumer = _QuietConsumer(huey, workers=workers, periodic=periodic, worker_type="thread")
    consumer.start()
    log.info("embedded job consumer started with %d worker thread(s)", workers)
    return EmbeddedConsumer(consumer)


def worker_command(
    workers: int = typer.Option(
        2, "--workers", "-w", min=1, max=64,
        help="Worker threads that run jobs in parallel.",
    ),
    scheduler: bool = typer.Option(
        True, "--scheduler/--no-scheduler",
        help="Also run the periodic jobs (SLA sweeps, notification deliveries) on schedule.",
    ),
) -> None:  # fmt: skip
    """Run the background job consumer in the foreground until Ctrl-C.

    It runs the periodic jobs (sweeping SLA clocks, delivering notifications with
    retries) and the jobs other processes enqueue. With SMARKETING_REDIS_URL set, run as
    many workers as you like on any host; without it the queue is a SQLite file beside
    the workspace database and `smarketing serve` already runs a consumer in-process.
    """
    if _flag(IMMEDIATE_ENV):
        typer.echo(f"error: {IMMEDIATE_ENV} is set: jobs run inline, there is nothing to "
                   "consume; unset it to run a worker", err=True)  # fmt: skip
        raise typer.Exit(2)
    workspace = open_workspace()
    workspace.engine.dispose()
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    modules = load_task_modules()
    huey = get_huey()
    backend = "redis" if os.environ.get(REDIS_URL_ENV, "").strip() else "sqlite"
    typer.echo(f"job worker: {backend} queue, {workers} worker(s), jobs from {', '.join(modules)}")
    huey.create_consumer(workers=workers, periodic=scheduler, worker_type="thread").run()
