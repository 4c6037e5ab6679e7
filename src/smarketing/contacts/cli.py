"""`smarketing contacts ...`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from smarketing.contacts.domain import describe_duration
from smarketing.contacts.story import contact_story
from smarketing.core.database import transaction
from smarketing.core.errors import NotFoundError
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.workspace.repository import workspace_settings

contacts_app = typer.Typer(help="Look up contacts and their story.", no_args_is_help=True)


@contacts_app.command("show")
def show(email: str = typer.Argument(..., help="The contact's email address.")) -> None:
    """The full story of one contact: stage, owning team and next actions, stage history,
    owner changes, activities, attempts, decisions and deals, in time order."""
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        try:
            story = contact_story(session, email, utcnow())
        except NotFoundError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(3) from None
        zone = workspace_settings(session).zone
    console = Console()
    local = lambda at: at.astimezone(zone).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    console.print(f"[bold]{story.name}[/bold] <{story.email}>")
    facts = [("company", story.company), ("job title", story.job_title),
             ("country", story.country), ("phone", story.phone), ("persona", story.persona),
             ("owner", story.owner), ("first touch", story.first_touch),
             ("last touch", story.last_touch), ("created", local(story.created_at))]  # fmt: skip
    for label, value in facts:
        if value:
            console.print(f"  {label}: {value}", markup=False)
    console.print(f"[bold]Stage:[/bold] {story.stage.value} (owned by {story.owning_team}) "
                  f"for {describe_duration(story.time_in_stage)}, "
                  f"since {local(story.stage_entered_at)}")  # fmt: skip
    console.print("[bold]Next actions:[/bold]")
    for action in story.next_actions:
        console.print(f"  - {action}", markup=False)
    console.print("[bold]Became:[/bold] " + ", ".join(
        f"{stage.value} at {local(at)}" for stage, at in story.became_at.items()))
    table = Table(title="Timeline", show_edge=False)
    for column in ("when", "what", "summary", "details"):
        table.add_column(column)
    for event in story.timeline:
        details = ", ".join(f"{k}: {v}" for k, v in event.details.items() if v)
        table.add_row(local(event.at), event.kind, event.summary, details)
    console.print(table)
