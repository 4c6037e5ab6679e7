"""The `smarketing` command line."""

from __future__ import annotations

import typer

from smarketing.contacts.cli import contacts_app
from smarketing.core.database import transaction
from smarketing.core.workspace import ensure_workspace_row, open_workspace
from smarketing.funnel.cli import funnel_command
from smarketing.interchange.cli import export_command, import_command

app = typer.Typer(
    name="smarketing",
    help="Sales and marketing alignment: one shared funnel, a measured SLA, a closed loop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def init() -> None:
    """Create the workspace database (SMARKETING_DATABASE_URL) and apply every migration."""
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        ensure_workspace_row(session, workspace.settings)
    typer.echo(f"workspace ready at {workspace.engine.url.render_as_string(hide_password=True)}")


app.command("import")(import_command)
app.command("export")(export_command)
app.command("funnel")(funnel_command)
app.add_typer(contacts_app, name="contacts")


def _register_optional() -> None:
    """Sub-commands whose modules are owned by other domains."""
    from smarketing.demo.cli import demo_command
    from smarketing.sla.cli import sla_app
    from smarketing.web.server import serve_command

    app.command("demo")(demo_command)
    app.command("serve")(serve_command)
    app.add_typer(sla_app, name="sla")


_register_optional()
