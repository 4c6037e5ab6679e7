"""`smarketing serve`: the web app (and, by default, the job consumer) in one process."""

from __future__ import annotations

from typing import NoReturn

import typer
import uvicorn
from sqlalchemy import select
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from smarketing.core.database import transaction
from smarketing.core.integrity import DAMAGED, Report, check_database, describe
from smarketing.core.settings import DEFAULT_SECRET_KEY, Settings, get_settings, server_url
from smarketing.core.workspace import open_workspace
from smarketing.demo.constants import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from smarketing.models import User
from smarketing.web.app import create_app
from smarketing.workspace.repository import ensure_workspace_row

#: Exit code of a refusal to start for a setting (production with the default secret).
MISCONFIGURED = 2


def demo_logins(session: Session) -> list[tuple[str, str, str]]:
    """(email, name, role) of every demo user that can log in."""
    rows = session.execute(
        select(User.email, User.name, User.role)
        .where(User.email.endswith(f"@{DEMO_EMAIL_DOMAIN}", autoescape=True))
        .where(User.password_hash.is_not(None))
        .order_by(User.role, User.email)
    )  # fmt: skip
    return [(email, name, role) for email, name, role in rows]


def refuse_unsafe_settings(settings: Settings) -> None:
    """In production (SMARKETING_ENV=production), refuse the published secret key: anyone
    could sign a session cookie with it."""
    if settings.production and settings.secret_key == DEFAULT_SECRET_KEY:
        typer.echo("error: SMARKETING_ENV=production and SMARKETING_SECRET_KEY is the public "
                   "development key: set SMARKETING_SECRET_KEY to a long random value (e.g. "
                   "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`). "
                   "Not started.", err=True)  # fmt: skip
        raise typer.Exit(MISCONFIGURED)


def refuse_damaged_database(settings: Settings) -> None:
    """Refuse to start on a SQLite file that fails `PRAGMA quick_check`."""
    if not settings.database_url.startswith("sqlite"):
        return
    report = check_database(settings.database_url)
    if not report.ok:
        _refuse(report)


def _refuse(report: Report) -> NoReturn:
    typer.echo("error: the workspace database is damaged; smarketing is not started.",
               err=True)  # fmt: skip
    for line in describe(report):
        typer.echo(line, err=True)
    raise typer.Exit(DAMAGED)


def serve_command(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on [default: SMARKETING_HOST or 127.0.0.1]."),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Port [default: SMARKETING_PORT or 8000]."),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64,
        help="Web server processes. More than one parses and validates requests in "
             "parallel (the database still takes one writer at a time on SQLite)."),
    jobs: bool = typer.Option(
        True, "--jobs/--no-jobs",
        help="Run the background job consumer in this process (turn off when `smarketing "
             "worker` processes run the jobs)."),
    skip_check: bool = typer.Option(
        False, "--skip-check",
        help="Start without checking the SQLite file first (quick_check reads it whole: "
             "1.1 s for 164 MiB on a shared 2-core machine). See docs/operations.md."),
) -> None:  # fmt: skip
    """Run the web app until Ctrl-C. Checks the database and applies pending migrations
    first, and prints the URL and, when the demo workspace is loaded, its logins."""
    settings = get_settings()
    refuse_unsafe_settings(settings)
    if not skip_check:
        refuse_damaged_database(settings)
    try:
        workspace = open_workspace(settings)
    except DatabaseError as exc:  # e.g. a file cut short, found by the migration
        report = check_database(settings.database_url)
        if report.ok:
            report.problems.append(str(exc).splitlines()[0])
        _refuse(report)
    with transaction(workspace.sessions) as session:
        ensure_workspace_row(session, settings)
        logins = demo_logins(session)
    host = host or settings.host
    port = port or settings.port
    typer.echo(f"smarketing is running at {server_url(host, port)}")
    if logins:
        typer.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
        width = max(len(email) for email, _, _ in logins)
        for email, name, role in logins:
            typer.echo(f"  {email.ljust(width)}  {role:<13}  {name}")
    if settings.secret_key == DEFAULT_SECRET_KEY:
        typer.echo("warning: SMARKETING_SECRET_KEY is not set; session cookies are signed with "
                   "a public development key. Set it before others use this server.", err=True)
    consumer = None
    if jobs:
        from smarketing.core.jobs import start_embedded_consumer

        consumer = start_embedded_consumer()
    try:
        if workers == 1:
            uvicorn.run(create_app(workspace), host=host, port=port, log_level="info")
        else:  # each worker process makes its app from the same settings
            uvicorn.run("smarketing.web.app:create_app", factory=True, workers=workers,
                        host=host, port=port, log_level="info")  # fmt: skip
    finally:
        if consumer is not None:
            consumer.stop()
        workspace.engine.dispose()
