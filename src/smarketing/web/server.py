"""`smarketing serve`: the web app (and, by default, the job consumer) in one process."""

from __future__ import annotations

import typer
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from smarketing.core.database import transaction
from smarketing.core.settings import get_settings, server_url
from smarketing.core.workspace import open_workspace
from smarketing.demo.constants import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from smarketing.models import User
from smarketing.web.app import create_app
from smarketing.workspace.repository import ensure_workspace_row

DEFAULT_SECRET = "dev-only-change-me"  # noqa: S105 - the settings' placeholder, to warn about


def demo_logins(session: Session) -> list[tuple[str, str, str]]:
    """(email, name, role) of every demo user that can log in."""
    rows = session.execute(
        select(User.email, User.name, User.role)
        .where(User.email.endswith(f"@{DEMO_EMAIL_DOMAIN}", autoescape=True))
        .where(User.password_hash.is_not(None))
        .order_by(User.role, User.email)
    )  # fmt: skip
    return [(email, name, role) for email, name, role in rows]


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
) -> None:  # fmt: skip
    """Run the web app until Ctrl-C. Applies pending migrations first and prints the URL
    and, when the demo workspace is loaded, its logins."""
    settings = get_settings()
    workspace = open_workspace(settings)
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
    if settings.secret_key == DEFAULT_SECRET:
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
